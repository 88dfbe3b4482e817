"""`scheduler completion bash|zsh`: scripts the shells accept, completing the real commands."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from scheduler.cli import main

# (words typed, the cursor on the last) -> what must be offered
CASES = [
    (["scheduler", ""], {"check", "preview", "accounts", "team", "completion"}),
    (["scheduler", "ac"], {"accounts"}),
    (["scheduler", "accounts", ""], {"check"}),
    (["scheduler", "accounts", "check", "--"], {"--json", "--secrets", "--timeout"}),
    (["scheduler", "team", ""], {"invite"}),
    (["scheduler", "completion", ""], {"bash", "zsh"}),
    (["scheduler", "approve", "--ledger", "x.db", "--sh"], {"--shown"}),
    (["scheduler", "plan", "--"], {"--json", "--help"}),
]


def script(shell: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Path:
    assert main(["completion", shell]) == 0
    path = tmp_path / f"completion.{shell}"
    path.write_text(capsys.readouterr().out, encoding="utf-8")
    return path


def test_bash_script_is_valid_and_registers_itself(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = script("bash", capsys, tmp_path)
    subprocess.run(["bash", "-n", str(path)], check=True)
    done = subprocess.run(
        ["bash", "-c", f'source "{path}" && complete -p scheduler'],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "complete -F _scheduler scheduler"


@pytest.mark.parametrize(("words", "wanted"), CASES, ids=lambda c: " ".join(c) if c else "")
def test_bash_completes(
    words: list[str], wanted: set[str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = script("bash", capsys, tmp_path)
    quoted = " ".join(f'"{w}"' for w in words)
    program = (
        f'source "{path}"; COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; '
        '_scheduler; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True)
    offered = set(done.stdout.split())
    assert wanted <= offered, done.stdout
    assert all(w.startswith(words[-1]) for w in offered)


def test_bash_completes_file_names_where_a_path_goes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = script("bash", capsys, tmp_path)
    (tmp_path / "week.yaml").write_text("", encoding="utf-8")
    program = (
        f'cd "{tmp_path}"; source "{path}"; COMP_WORDS=(scheduler check we); COMP_CWORD=2; '
        '_scheduler; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["week.yaml"]


ZSH = shutil.which("zsh")
needs_zsh = pytest.mark.skipif(ZSH is None, reason="zsh is not installed (.ci/run installs it)")


@needs_zsh
def test_zsh_script_is_valid_and_registers_itself(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert ZSH is not None
    path = script("zsh", capsys, tmp_path)
    subprocess.run([ZSH, "-n", str(path)], check=True)
    program = f'autoload -U compinit; compinit -u -d "{tmp_path}/zcomp"; source "{path}"; '
    program += "print -r -- ${_comps[scheduler]}"
    done = subprocess.run([ZSH, "-f", "-c", program], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "_scheduler"


@needs_zsh
@pytest.mark.parametrize(("words", "wanted"), CASES, ids=lambda c: " ".join(c) if c else "")
def test_zsh_completes(
    words: list[str], wanted: set[str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert ZSH is not None
    path = script("zsh", capsys, tmp_path)
    quoted = " ".join(f'"{w}"' for w in words)
    # Outside a completion widget compadd cannot run: stand-ins print what would be offered.
    program = (
        f'source "{path}"; compadd() {{ [[ $1 == -- ]] && shift; print -rl -- "$@" }}; '
        "_files() { print FILES }; "
        f"words=({quoted}); CURRENT={len(words)}; _scheduler"
    )
    done = subprocess.run([ZSH, "-f", "-c", program], capture_output=True, text=True, check=True)
    offered = set(done.stdout.split())
    assert wanted <= offered, done.stdout
