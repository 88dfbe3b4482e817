"""Shell completion for bash and zsh, generated from the argument parser itself.

``scheduler completion bash`` prints a script; so the completion knows exactly the commands
and options of the installed release. Both shells share the same tables (shell ``case``
statements read the same in both): per command, its subcommands, its options, which options
take a value (and the choices of those that have them), and the choices of a positional.
What is not a known word completes as a file name: campaign files, ledgers, secrets.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

SHELLS = ("bash", "zsh")


@dataclass
class Node:
    path: str  # "" for the program itself, else the command words: "accounts check"
    commands: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    valued: dict[str, list[str]] = field(default_factory=dict)  # option -> choices ([]: any)
    choices: list[str] = field(default_factory=list)  # of the first positional, if fixed


def nodes(parser: argparse.ArgumentParser, path: str = "") -> list[Node]:
    node = Node(path)
    found = [node]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                node.commands.append(name)
                found.extend(nodes(sub, f"{path} {name}".strip()))
        elif action.option_strings:
            node.options.extend(action.option_strings)
            if action.nargs != 0:
                for option in action.option_strings:
                    node.valued[option] = [str(c) for c in action.choices or ()]
        elif action.choices and not node.choices:
            node.choices = [str(c) for c in action.choices]
    return found


def _case(name: str, rows: list[tuple[str, str]]) -> list[str]:
    lines = [f"_scheduler_{name}() {{", '    case "$1" in']
    for pattern, words in rows:
        lines.append(f'        "{pattern}") echo "{words}" ;;')
    lines += ["    esac", "}"]
    return lines


def tables(parser: argparse.ArgumentParser) -> str:
    found = nodes(parser)
    valued: list[tuple[str, str]] = []
    for n in found:
        for option, choices in n.valued.items():
            # "-" marks a value with no fixed choices (a file, an email, a number).
            valued.append((f"{n.path}|{option}", " ".join(choices) or "-"))
    lines = [
        *_case("commands", [(n.path, " ".join(n.commands)) for n in found if n.commands]),
        *_case("options", [(n.path, " ".join(n.options)) for n in found]),
        *_case("valued", valued),
        *_case("choices", [(n.path, " ".join(n.choices)) for n in found if n.choices]),
    ]
    return "\n".join(lines) + "\n"


# The words before the cursor decide the command; an option's value is skipped, not read as
# a command; a word that is a subcommand of the command so far descends into it.
BASH = """
_scheduler() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cmdpath="" word i
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        if [[ $word == -* ]]; then
            [[ -n $(_scheduler_valued "$cmdpath|$word") ]] && ((i++))
        elif [[ " $(_scheduler_commands "$cmdpath") " == *" $word "* ]]; then
            cmdpath=${cmdpath:+$cmdpath }$word
        fi
    done
    local values
    values=$(_scheduler_valued "$cmdpath|$prev")
    if [[ -n $values && $COMP_CWORD -gt 1 ]]; then
        if [[ $values == - ]]; then
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$values" -- "$cur")
        fi
        return
    fi
    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_scheduler_options "$cmdpath")" -- "$cur")
        return
    fi
    values=$(_scheduler_commands "$cmdpath")
    [[ -z $values ]] && values=$(_scheduler_choices "$cmdpath")
    if [[ -n $values ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$values" -- "$cur")
    else
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    fi
}
complete -F _scheduler scheduler
"""

ZSH = """
_scheduler() {
    local cur=${words[CURRENT]} prev=${words[CURRENT-1]} cmdpath="" word values i
    for ((i = 2; i < CURRENT; i++)); do
        word=${words[i]}
        if [[ $word == -* ]]; then
            [[ -n $(_scheduler_valued "$cmdpath|$word") ]] && ((i++))
        elif [[ " $(_scheduler_commands "$cmdpath") " == *" $word "* ]]; then
            cmdpath=${cmdpath:+$cmdpath }$word
        fi
    done
    values=$(_scheduler_valued "$cmdpath|$prev")
    if [[ -n $values && $CURRENT -gt 2 ]]; then
        if [[ $values == - ]]; then _files; else compadd -- ${=values}; fi
        return
    fi
    if [[ $cur == -* ]]; then
        compadd -- ${=$(_scheduler_options "$cmdpath")}
        return
    fi
    values=$(_scheduler_commands "$cmdpath")
    [[ -z $values ]] && values=$(_scheduler_choices "$cmdpath")
    if [[ -n $values ]]; then compadd -- ${=values}; else _files; fi
}
if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then
    _scheduler "$@"
else
    compdef _scheduler scheduler
fi
"""


def script(shell: str, parser: argparse.ArgumentParser) -> str:
    if shell == "bash":
        head = (
            "# bash completion for scheduler; load it with\n"
            '#   eval "$(scheduler completion bash)"\n'
        )
        return head + tables(parser) + BASH
    head = (
        "#compdef scheduler\n"
        "# zsh completion for scheduler: save as _scheduler in a folder of $fpath, or\n"
        '#   eval "$(scheduler completion zsh)"   (after compinit)\n'
    )
    return head + tables(parser) + ZSH


def cmd_completion(args: argparse.Namespace) -> int:
    from scheduler.cli.parser import build_parser

    print(script(args.shell, build_parser()), end="")
    return 0
