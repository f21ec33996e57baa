"""The witness's config file, key file and state file, and ``liaison witness``: every bad
field is refused with the file and the field named (and the log's number); the commands
keygen, show and serve."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from liaison.cli import app as cli_app
from liaison.errors import WitnessConfigError
from liaison.ledger.cosignature import generate_cosigner, parse_witness_key
from liaison.ledger.note_keys import generate_signer
from liaison.witness.config import load_config, load_cosigner
from liaison.witness.protocol import Witness
from liaison.witness.state import WitnessState
from witness_fixtures import ORIGIN, Log, body, make_witness

LOG_VKEY = generate_signer(ORIGIN)[1]
OTHER_VKEY = generate_signer("other.example/log")[1]
WITNESS_VKEY = generate_cosigner("council.example/witness")[1]
HEAD = 'name = "council.example/witness"\nkey = "witness.key"\nstate = "state.db"\n'


def liaison(*args: str) -> Result:
    return CliRunner().invoke(cli_app, list(args), prog_name="liaison")


def write(folder: Path, text: str) -> Path:
    path = folder / "witness.toml"
    path.write_text(text)
    return path


def test_a_config_is_read_with_paths_beside_it(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f'{HEAD}[[log]]\norigin = "{ORIGIN}"\nvkey = "{LOG_VKEY}"\n'
        f'[[log]]\norigin = "other.example/log"\nvkeys = ["{OTHER_VKEY}", "{LOG_VKEY}"]\n',
    )
    config = load_config(path)
    assert config.name == "council.example/witness"
    assert config.key_file == tmp_path / "witness.key"
    assert config.state_file == tmp_path / "state.db"
    assert list(config.logs) == [ORIGIN, "other.example/log"]
    log = config.log(ORIGIN)
    assert log is not None
    assert [v.vkey for v in log.verifiers] == [LOG_VKEY]
    other = config.log("other.example/log")
    assert other is not None
    assert [v.vkey for v in other.verifiers] == [OTHER_VKEY, LOG_VKEY]
    assert config.log("unknown") is None
    absolute = write(tmp_path, HEAD.replace('"state.db"', '"/srv/w/state.db"') + _log())
    assert load_config(absolute).state_file == Path("/srv/w/state.db")


def _log(**fields: Any) -> str:
    values = {"origin": ORIGIN, "vkey": LOG_VKEY, **fields}
    return "[[log]]\n" + "".join(
        f"{k} = {json.dumps(v)}\n" for k, v in values.items() if v is not None
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("name = \n", "not valid TOML"),
        ("x = " + "[" * 5000, "not valid TOML: nested too deeply"),
        (HEAD.replace('name = "council.example/witness"\n', "") + _log(), "name: missing"),
        (HEAD.replace("council.example/witness", "a witness") + _log(), "name: 'a witness'"),
        (HEAD.replace('key = "witness.key"', "key = 7") + _log(), "key: must be a non-empty"),
        (HEAD.replace('state = "state.db"\n', "") + _log(), "state: missing"),
        (HEAD + 'nmae = "x"\n' + _log(), "nmae: unknown field"),
        (HEAD, "[[log]]: no log to follow"),
        (HEAD + _log() + _log(origin=None), "[[log]] #2 origin: missing"),
        (HEAD + _log(vkey="not a key"), "[[log]] #1 vkey: verifier key must have the form"),
        (HEAD + _log(vkey=WITNESS_VKEY), "[[log]] #1 vkey: verifier key has signature type"),
        (HEAD + _log(vkey=generate_signer(ORIGIN)[0]), "[[log]] #1 vkey: this is a signer"),
        (HEAD + _log(vkey=None), "[[log]] #1 vkey: missing"),
        (HEAD + _log(vkey=None, vkeys=[]), "[[log]] #1 vkeys: must be a non-empty list"),
        (HEAD + _log(vkeys=[LOG_VKEY]), "[[log]] #1 vkeys: give vkey or vkeys, not both"),
        (HEAD + _log(vkey=None, vkeys=[LOG_VKEY, 3]), "[[log]] #1 vkeys[1]: must be a string"),
        (HEAD + _log(vkey=None, vkeys=[LOG_VKEY, "x+1+2"]), "[[log]] #1 vkeys[1]: verifier"),
        (HEAD + _log() + _log(vkye=LOG_VKEY), "[[log]] #2 vkye: unknown field"),
        (HEAD + _log() + _log(vkey=OTHER_VKEY), "[[log]] #2 origin: 'test.example/witnes"),
        (HEAD + _log(origin=""), "[[log]] #1 origin: must be a non-empty string"),
        (HEAD + "log = 3\n", "[[log]]: no log to follow"),
    ],
)
def test_each_bad_field_is_named_with_the_file(tmp_path: Path, text: str, says: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(WitnessConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: {says}"), str(caught.value)


def test_a_missing_config_is_named(tmp_path: Path) -> None:
    with pytest.raises(WitnessConfigError, match=r"nowhere\.toml: cannot read the config"):
        load_config(tmp_path / "nowhere.toml")


def test_the_key_file_is_checked(tmp_path: Path) -> None:
    files = make_witness(tmp_path, "council.example/witness", {ORIGIN: [LOG_VKEY]})
    config = files.config()
    assert load_cosigner(config).witness_key.vkey == files.vkey
    key = tmp_path / "witness.key"
    key.chmod(0o644)
    with pytest.raises(WitnessConfigError, match=r"key: .* readable by group or others"):
        load_cosigner(config)
    key.write_text(generate_cosigner("someone.else/witness")[0] + "\n")
    key.chmod(0o600)
    with pytest.raises(WitnessConfigError) as caught:
        load_cosigner(config)
    assert str(caught.value).startswith(f"{files.config_path}: name: 'council.example/witness'")
    key.write_text(generate_signer("council.example/witness")[0] + "\n")  # a log's key
    with pytest.raises(WitnessConfigError, match=r"key: .*signature type 0x01, expected 0x04"):
        load_cosigner(config)
    key.unlink()
    with pytest.raises(WitnessConfigError, match=f"{files.config_path}: key: cannot read"):
        load_cosigner(config)


def test_an_unusable_state_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "state.db").write_bytes(b"not a database" * 100)
    with pytest.raises(WitnessConfigError, match=r"state\.db: cannot open the witness state"):
        WitnessState(tmp_path / "state.db")
    with pytest.raises(WitnessConfigError, match="cannot open the witness state"):
        WitnessState(tmp_path / "missing-folder" / "state.db")


# -- liaison witness ------------------------------------------------------------------------


def test_keygen_writes_a_private_key_and_prints_its_vkey(tmp_path: Path) -> None:
    out = tmp_path / "keys"
    made = liaison("witness", "keygen", "--name", "oig.example/witness", "--out", str(out))
    assert made.exit_code == 0, made.stderr
    vkey = made.stdout.strip()
    assert parse_witness_key(vkey).name == "oig.example/witness"
    assert (out / "witness.vkey").read_text() == vkey + "\n"
    assert (out / "witness.key").stat().st_mode & 0o777 == 0o600
    assert (out / "witness.key").read_text().startswith("PRIVATE+KEY+oig.example/witness+")
    again = liaison("witness", "keygen", "--name", "oig.example/witness", "--out", str(out))
    assert again.exit_code == 1
    assert again.stderr == f"error: {out / 'witness.key'} exists already; refusing to " \
        "replace a witness key\n"  # fmt: skip
    assert (out / "witness.vkey").read_text() == vkey + "\n"
    forced = liaison("witness", "keygen", "--name", "oig.example/witness", "--out", str(out),
                     "--force")  # fmt: skip
    assert forced.exit_code == 0
    assert forced.stdout.strip() not in ("", vkey)
    bad = liaison("witness", "keygen", "--name", "two words", "--out", str(tmp_path / "b"))
    assert bad.exit_code == 1
    assert bad.stderr.startswith("error: --name: invalid witness name 'two words'")


def test_show_prints_each_log_with_its_latest_and_refusals(tmp_path: Path) -> None:
    log = Log(tmp_path / "log", generate_signer(ORIGIN)[0])
    fork = Log(tmp_path / "fork", log.skey)
    try:
        files = make_witness(tmp_path / "w", "council.example/witness", {
            ORIGIN: [log.vkey], "other.example/log": [OTHER_VKEY]})  # fmt: skip
        config = files.config()
        witness = Witness(config, load_cosigner(config), WitnessState(config.state_file),
                          lambda: 1_780_000_000)  # fmt: skip
        assert witness.add_checkpoint(body(0, [], log.grow(4))).status == 200
        forged = fork.grow(4, "other")
        assert witness.add_checkpoint(body(4, [], forged)).status == 409
        shown = liaison("witness", "show", "--config", str(files.config_path))
        as_json = liaison("witness", "show", "--config", str(files.config_path), "--json")
        evidence = liaison("witness", "show", "--config", str(files.config_path), "--refused")
    finally:
        log.close()
        fork.close()
    assert shown.exit_code == 0, shown.stderr
    root = json.loads(as_json.stdout.splitlines()[0])["root"]
    assert shown.stdout.splitlines() == [
        f"{ORIGIN}: size 4 root {root} cosigned 2026-05-28T16:26:40-04:00; refused 1",
        "other.example/log: nothing cosigned; refused 0",
    ]
    assert [json.loads(line) for line in as_json.stdout.splitlines()] == [
        {"origin": ORIGIN, "size": 4, "root": root,
         "cosigned_at": "2026-05-28T20:26:40+00:00", "refused": 1},
        {"origin": "other.example/log", "size": None, "root": None, "cosigned_at": None,
         "refused": 0},
    ]  # fmt: skip
    [kept] = [json.loads(line) for line in evidence.stdout.splitlines()]
    assert kept == {
        "origin": ORIGIN, "old_size": 4, "proof": [], "note": forged, "status": 409,
        "reason": kept["reason"], "refused_at": "2026-05-28T20:26:40+00:00",
    }  # fmt: skip
    assert kept["reason"].endswith("two histories")


def test_serve_runs_the_witness_and_refuses_a_bad_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(kw, app=app))
    files = make_witness(tmp_path / "w", "council.example/witness", {ORIGIN: [LOG_VKEY]})
    ran = liaison("witness", "serve", "--config", str(files.config_path), "--port", "9001")
    assert ran.exit_code == 0, ran.stderr
    assert (seen["host"], seen["port"]) == ("127.0.0.1", 9001)
    assert {r.path for r in seen["app"].routes} == {"/add-checkpoint", "/checkpoints"}
    assert (tmp_path / "w" / "state.db").exists()
    (tmp_path / "w" / "witness.key").chmod(0o640)
    refused = liaison("witness", "serve", "--config", str(files.config_path))
    assert refused.exit_code == 1
    assert refused.stderr.startswith(f"error: {files.config_path}: key: ")
    write(tmp_path / "w", HEAD)
    empty = liaison("witness", "serve", "--config", str(files.config_path))
    assert empty.stderr == f"error: {files.config_path}: [[log]]: no log to follow: add a " \
        "[[log]] table with origin, vkey\n"  # fmt: skip
