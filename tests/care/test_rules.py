"""One table per rule: posts that must fire it, and tricky posts that must not."""

from __future__ import annotations

from typing import Any

import pytest

from tests.care.helpers import lint, rules_fired

SAM = " Samaritans: call 116 123."
BEAT = " Beat helpline: 0808 801 0677."

# (rule, post text, options, should fire)
TABLE: list[tuple[str, str, dict[str, Any], bool]] = [
    # sm-method
    ("sm-method", "Years ago I took an overdose." + SAM, {}, True),
    ("sm-method", "He hanged himself in 2019. I run for him." + SAM, {}, True),
    ("sm-method", "She died by suicide after jumping from a car park." + SAM, {}, True),
    ("sm-method", "My friend committed suicide by hanging last year." + SAM, {}, True),
    ("sm-method", "Her brother died by an overdose in 2020." + SAM, {}, True),
    ("sm-method", "He took his life with his dad's shotgun." + SAM, {}, True),
    ("sm-method", "Too many men die by suicide; talk to someone." + SAM, {}, False),
    ("sm-method", "Deaths by suicide fell by a fifth in our area." + SAM, {}, False),
    ("sm-method", "We killed it at the suicide prevention 10k!" + SAM, {}, False),
    ("sm-method", "Hang in there: suicide prevention starts with talking." + SAM, {}, False),
    ("sm-method", "We take medication seriously in suicide prevention." + SAM, {}, False),
    ("sm-method", "I took an overdose.", {"alt": "ok"}, True),  # first-person act opens the gate
    # sm-scene
    ("sm-scene", "A man died by suicide at Clifton Suspension Bridge." + SAM, {}, True),
    ("sm-scene", "Her note said sorry. She took her own life." + SAM, {}, True),
    ("sm-scene", "Our suicide prevention walk leaves from the station." + SAM, {}, False),
    ("sm-scene", "Meet at the bridge at 9am for the walk.", {}, False),
    # sm-committed
    ("sm-committed", "My uncle committed suicide." + SAM, {}, True),
    ("sm-committed", "Thousands commit suicide every year." + SAM, {}, True),
    ("sm-committed", "We say 'died by suicide', not 'committed suicide'." + SAM, {}, False),
    ("sm-committed", "Instead of committed suicide, say died by suicide." + SAM, {}, False),
    ("sm-committed", "We are committed to suicide prevention." + SAM, {}, False),
    # sm-outcome
    ("sm-outcome", "After two failed suicide attempts I'm still here." + SAM, {}, True),
    ("sm-outcome", "Completed suicides rose last year." + SAM, {}, True),
    ("sm-outcome", 'Avoid "failed attempt" and "successful suicide".' + SAM, {}, False),
    ("sm-outcome", "A failed attempt at a parkrun PB, but great fun!", {}, False),
    # sm-sensational
    ("sm-sensational", "Youth suicide is an epidemic." + SAM, {}, True),
    ("sm-sensational", "Suicide rates are soaring among men." + SAM, {}, True),
    ("sm-sensational", "The loneliness epidemic is real.", {}, False),
    ("sm-sensational", "Suicide is not an epidemic, and it is preventable." + SAM, {}, False),
    (
        "sm-sensational",
        "Ticket sales surged this week! Suicide prevention needs us all." + SAM,
        {},
        False,
    ),
    # sm-solution
    ("sm-solution", "He took his own life and is finally at peace." + SAM, {}, True),
    ("sm-solution", "Suicide felt like the only way out for her." + SAM, {}, True),
    ("sm-solution", "Suicide is never the only way out." + SAM, {}, False),
    ("sm-solution", "There is a way out of the dark: talk to us about suicide." + SAM, {}, False),
    # sm-single-cause
    ("sm-single-cause", "He died by suicide because of exam stress." + SAM, {}, True),
    ("sm-single-cause", "Her suicide came without warning." + SAM, {}, True),
    ("sm-single-cause", "Suicide is never caused by exams alone." + SAM, {}, False),
    (
        "sm-single-cause",
        "After losing my job I started running. #SuicidePrevention" + SAM,
        {},
        False,
    ),
    # sm-stigma
    ("sm-stigma", "Suicide is selfish." + SAM, {}, True),
    ("sm-stigma", "Self-harm is attention seeking." + SAM, {}, True),
    ("sm-stigma", "Self-harm is not attention seeking." + SAM, {}, False),
    ("sm-stigma", "It's a myth that suicide is selfish." + SAM, {}, False),
    ("sm-stigma", "Don't be selfish with the biscuits at the bake sale!", {}, False),
    # sm-no-support
    ("sm-no-support", "Let's talk about suicide. #WSPD", {}, True),
    ("sm-no-support", "Let's talk about #SuicidePrevention.", {}, True),
    ("sm-no-support", "Let's talk about #suicideprevention.", {}, True),
    ("sm-no-support", "Let's talk about suicide. Samaritans: 116 123", {}, False),
    ("sm-no-support", "Let's talk about suicide. Call 116123.", {}, False),
    ("sm-no-support", "Let's talk about suicide. Text SHOUT to 85258.", {}, False),
    ("sm-no-support", "Let's talk about suicide. samaritans.org", {}, False),
    ("sm-no-support", "Let's talk about depression and low mood.", {}, False),
    ("sm-no-support", "Her brother took his life in 2019.", {}, True),
    ("sm-no-support", "Her brother took his life.", {}, True),
    ("sm-no-support", "Two friends took their lives last year.", {}, True),
    ("sm-no-support", "I tried to take my life at 19.", {}, True),
    ("sm-no-support", "She took her life savings and opened a cafe.", {}, False),
    ("sm-no-support", "Running helped me take my life back.", {}, False),
    ("sm-no-support", "Coaching helps you take your life into your own hands.", {}, False),
    ("sm-no-support", "Take your life to the next level with our 10k plan.", {}, False),
    ("sm-no-support", "Good coaches take their lives seriously.", {}, False),
    ("sm-no-support", "Great coaches take your life goals seriously.", {}, False),
    ("sm-no-support", "Therapy can take your life in a new direction.", {}, False),
    ("sm-no-support", "Moving here took her life in a new direction.", {}, False),
    ("sm-no-support", "", {"parts": ["About suicide.", "Samaritans: 116 123."]}, False),
    # sm-graphic-media
    ("sm-graphic-media", "My self-harm recovery." + SAM, {"alt": "Healed scars on an arm."}, True),
    (
        "sm-graphic-media",
        "Remembering those lost to suicide." + SAM,
        {"alt": "Flowers at the bridge."},
        True,
    ),
    (
        "sm-graphic-media",
        "Our 10k finish line.",
        {"alt": "A runner with a bandaged knee, smiling."},
        False,
    ),
    (
        "sm-graphic-media",
        "Suicide prevention walk." + SAM,
        {"alt": "Walkers crossing a sunny park."},
        False,
    ),
    # ed-numbers
    ("ed-numbers", "At my lowest I weighed 38kg with anorexia." + BEAT, {}, True),
    ("ed-numbers", "Burned 800 calories on today's run!", {}, True),
    ("ed-numbers", "Back in my size 8 jeans!", {}, True),
    ("ed-numbers", "We raised 500 pounds for Beat!", {}, False),
    ("ed-numbers", "Size 10 trainers in lost property.", {}, False),
    ("ed-numbers", "1 in 4 of us will struggle this year; 10k runners start at 9am.", {}, False),
    # ed-behaviours
    ("ed-behaviours", "I used laxatives for years.", {}, True),
    ("ed-behaviours", "With bulimia I was purging daily." + BEAT, {}, True),
    ("ed-behaviours", "In my eating disorder I skipped meals." + BEAT, {}, True),
    ("ed-behaviours", "I had bulimia for six years and I'm well now." + BEAT, {}, False),
    ("ed-behaviours", "Let's skip lunch and go for the long run!", {}, False),
    # ed-before-after
    (
        "ed-before-after",
        "Before and after anorexia recovery." + BEAT,
        {"alt": "Two photos of me."},
        True,
    ),
    (
        "ed-before-after",
        "Recovery is real. #EDAW" + BEAT,
        {"alt": "A very thin woman on a bed."},
        True,
    ),
    (
        "ed-before-after",
        "Before and after our park clean-up!",
        {"alt": "Litter, then a clean path."},
        False,
    ),
    ("ed-before-after", "Before and after anorexia recovery." + BEAT, {}, False),  # no image
    # ed-no-support
    ("ed-no-support", "Eating disorders are serious illnesses. #EDAW", {}, True),
    ("ed-no-support", "Eating disorders are serious illnesses." + BEAT, {}, False),
    (
        "ed-no-support",
        "Eating disorders are serious illnesses. beateatingdisorders.org.uk",
        {},
        False,
    ),
    ("ed-no-support", "Eat well, sleep well, run well.", {}, False),
    # ed-diet-talk
    ("ed-diet-talk", "Earn your pizza with a 5k tonight!", {}, True),
    ("ed-diet-talk", "Time to burn off those mince pies!", {}, True),
    ("ed-diet-talk", "You don't need to earn your food.", {}, False),
    ("ed-diet-talk", "Pizza at the finish for everyone!", {}, False),
    # cw-missing
    ("cw-missing", "Suicide prevention matters." + SAM, {"platform": "mastodon"}, True),
    ("cw-missing", "Anorexia is not a choice." + BEAT, {"platform": "mastodon"}, True),
    (
        "cw-missing",
        "Suicide prevention matters." + SAM,
        {"platform": "mastodon", "cw": "mh, suicide mention"},
        False,
    ),
    ("cw-missing", "Suicide prevention matters." + SAM, {"platform": "x"}, False),
    # Instagram's readers expect one too: it goes as the caption's first line.
    ("cw-missing", "Anorexia is not a choice." + BEAT, {"platform": "instagram"}, True),
    ("cw-missing", "Depression is common. Talk to us.", {"platform": "mastodon"}, False),
    # a11y-alt-missing
    ("a11y-alt-missing", "Our team!", {"alt": ""}, True),
    ("a11y-alt-missing", "Our team!", {"alt": "", "platform": "instagram"}, True),
    ("a11y-alt-missing", "Our team!", {"alt": " \n "}, True),
    (
        "a11y-alt-missing",
        "Our team!",
        {"alt": "Six runners in green vests at a finish line."},
        False,
    ),
    # a11y-alt-weak
    ("a11y-alt-weak", "Our team!", {"alt": "DSC_0001.JPG"}, True),
    ("a11y-alt-weak", "Our team!", {"alt": "photo"}, True),
    ("a11y-alt-weak", "Our team!", {"alt": "Image of six runners at the finish."}, True),
    ("a11y-alt-weak", "Our team at the finish!", {"alt": "Our team at the finish!"}, True),
    ("a11y-alt-weak", "Our team!", {"alt": "Six runners holding a photo of their coach."}, False),
    # a11y-alt-limit
    ("a11y-alt-limit", "Route.", {"alt": "Path by the river. " * 60, "platform": "x"}, True),
    (
        "a11y-alt-limit",
        "Route.",
        {"alt": "Path by the river. " * 60, "platform": "mastodon"},
        False,
    ),
    ("a11y-alt-limit", "Route.", {"alt": "Path by the river. " * 60, "platform": "bluesky"}, False),
    # a11y-hashtag-case
    ("a11y-hashtag-case", "Support #mentalhealthawareness", {}, True),
    ("a11y-hashtag-case", "Support #runtalkrun", {"platform": "instagram"}, True),
    ("a11y-hashtag-case", "Walking for #mentalhealthawarenessweek", {}, True),
    ("a11y-hashtag-case", "Support #MENTALHEALTH", {}, True),
    ("a11y-hashtag-case", "Support #MentalHealthAwareness #MHAW #running #anxiety", {}, False),
    # a11y-emoji-run
    ("a11y-emoji-run", "Done! 🎉🎉🎉", {}, True),
    ("a11y-emoji-run", "Stop 👏 doing 👏 this", {}, True),
    ("a11y-emoji-run", "Thank you all 💚", {}, False),
    ("a11y-emoji-run", "Family 👨‍👩‍👧 day at the park 🌳", {}, False),
    # a11y-link-text
    ("a11y-link-text", "To sign up click here: https://example.org", {}, True),
    ("a11y-link-text", "Our programme is here: https://example.org", {}, True),
    ("a11y-link-text", "We'll be here all day. Programme: https://example.org", {}, False),
    ("a11y-link-text", "Sign-up page: https://example.org", {}, False),
    # a11y-all-caps
    ("a11y-all-caps", "PLEASE JOIN US THIS SATURDAY", {}, True),
    ("a11y-all-caps", "Talk to your GP or the NHS, or text SHOUT.", {}, False),
    ("a11y-all-caps", "Big THANK YOU to everyone.", {}, False),
    # a11y-plain-language
    ("a11y-plain-language", "Support for suicidal ideation." + SAM, {}, True),
    ("a11y-plain-language", "Psychoeducation sessions start soon.", {}, True),
    ("a11y-plain-language", "Support if you're having thoughts of suicide." + SAM, {}, False),
]


@pytest.mark.parametrize(
    ("rule", "text", "options", "fires"),
    TABLE,
    ids=[f"{r}-{i}-{'fires' if f else 'quiet'}" for i, (r, _, _, f) in enumerate(TABLE)],
)
def test_rule_table(rule: str, text: str, options: dict[str, Any], fires: bool) -> None:
    fired = rules_fired(text, **options)
    if fires:
        assert rule in fired, f"{rule} should fire on {text!r}; fired {sorted(fired)}"
    else:
        assert rule not in fired, f"{rule} should not fire on {text!r}"


def test_every_rule_has_table_rows_both_ways() -> None:
    from scheduler.care import ALL_RULES

    for rule in ALL_RULES:
        rows = [fires for r, _, _, fires in TABLE if r == rule.info.id]
        assert True in rows and False in rows, rule.info.id


def test_findings_point_at_the_exact_words() -> None:
    text = "My uncle committed suicide in 2019." + SAM
    (finding,) = [f for f in lint(text) if f.rule == "sm-committed"]
    assert finding.excerpt == "committed suicide"
    assert text[finding.start : finding.end] == "committed suicide"
    assert finding.where == "text" and finding.part == 0
    assert finding.severity == "warn"
    assert "died by suicide" in finding.message


def test_hashtag_findings_point_at_the_hashtag() -> None:
    text = "Let's talk about #SuicidePrevention"
    (finding,) = [f for f in lint(text) if f.rule == "sm-no-support"]
    assert finding.excerpt == "#SuicidePrevention"


def test_alt_text_findings_say_which_image() -> None:
    findings = lint("My self-harm recovery." + SAM, alt="Scars on my arm, healed now.")
    (finding,) = [f for f in findings if f.rule == "sm-graphic-media"]
    assert (finding.where, finding.part, finding.media) == ("alt", 0, 0)
    assert finding.location == "part 1 image 1 alt text"
    assert finding.excerpt == "Scars"


def test_ed_numbers_block_only_with_the_eating_disorder_topic() -> None:
    (warn,) = [f for f in lint("Burned 800 calories today!") if f.rule == "ed-numbers"]
    assert warn.severity == "warn"
    (block,) = [
        f for f in lint("With anorexia I ate 800 calories." + BEAT) if f.rule == "ed-numbers"
    ]
    assert block.severity == "block"


def test_no_support_suggests_a_line_for_the_audience() -> None:
    from scheduler.care import CarePolicy

    (uk,) = [f for f in lint("About suicide.") if f.rule == "sm-no-support"]
    assert "116 123" in uk.message
    es = lint("Hablemos del suicidio.", lang="es", policy=CarePolicy(locale="es-ES"))
    assert "024" in next(f for f in es if f.rule == "sm-no-support").message
    ed = lint("Anorexia is not a choice.", policy=CarePolicy(locale="en-GB"))
    assert "0808 801 0677" in next(f for f in ed if f.rule == "ed-no-support").message
    unknown = lint("About suicide.", policy=CarePolicy())
    assert "care.locale" in next(f for f in unknown if f.rule == "sm-no-support").message


def test_unknown_language_gets_an_info_note_not_silence() -> None:
    findings = lint("Praat met iemand.", lang="nl")
    assert [f.rule for f in findings] == ["care-language"]
    assert findings[0].severity == "info"


def test_the_same_words_on_two_accounts_are_reported_for_each_account() -> None:
    from scheduler.care import CarePolicy, Linter
    from tests.care.helpers import make_draft

    linter = Linter(CarePolicy(locale="en-GB"))
    x = make_draft("Let's talk about suicide.", platform="x", id="talk")
    sky = make_draft("Let's talk about suicide.", platform="bluesky", id="talk2")
    masto = make_draft("Let's talk about suicide.", platform="mastodon", id="talk3")
    first, second = linter.lint(x), linter.lint(sky)
    assert [(f.rule, f.post_id, f.platform) for f in first] == [("sm-no-support", "talk", "x")]
    assert [(f.rule, f.post_id, f.platform) for f in second] == [
        ("sm-no-support", "talk2", "bluesky")
    ]
    assert {f.rule for f in linter.lint(masto)} == {"sm-no-support", "cw-missing"}
