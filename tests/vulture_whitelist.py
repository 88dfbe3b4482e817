"""Names the dead-code check (vulture, run by tests/test_meta.py) cannot see being used:
frameworks and templates reach them by name."""

# ruff: noqa: B018, F821

# pydantic settings and fields read from campaign files by key
_.model_config
_.include
# SQLAlchemy: a TypeDecorator's hooks and flags, and engine event listeners
_.impl
_.cache_ok
_.process_bind_param
_.process_result_value
_._on_connect
_._on_begin
_._on_checkin
_._on_checkout
_.isolation_level
# Jinja2: a loader's hook and its argument; a code generator's visitors and an
# environment's classes; the methods the generated template code calls by name
_.get_source
environment
_.visit_Concat
_.code_generator_class
_.template_class
_.intercepted_binops
_.concatenated
_.sliced
_.ticked
_.nest_in
_.nest_out
# http.server: a request handler's hooks and settings, and the server's thread flag
_.do_GET
_.log_message
_.server_version
_.sys_version
_.daemon_threads
# Starlette and tweepy attributes set for the library to read
_.redirect_slashes
_.bearer_token
# fields the review and calendar templates show
_.first_line
_.link_description
_.approved_before
_.may_reject
_.why_not
_.may_override
# a static check that SqlLedger conforms to the Ledger protocol
_._conforms
# records kept whole for their readers: a claim's instant and the state it came from, the
# data files a lexicon merged, the notice kinds worst first
_.claimed_at
_.previous_state
_.languages
KINDS
# Protocol members and context fields the platforms that fetch media by URL use
_.url_for
_.renew
_.public_media
# requests reads it: the media pre-flight takes no proxy from the environment
_.trust_env
