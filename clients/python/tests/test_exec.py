"""exec(): streams, stdin forms, exit status, signals, timeouts, refusals."""
import io
import signal
import threading

import pytest

import pipeline_client as pc


def test_argv_and_separate_streams(pipeline_client):
    r = pipeline_client.exec(["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert (r.exit_code, r.signal, r.stdout, r.stderr) == (3, 0, b"out\n",
                                                           b"err\n")
    assert r.pid > 0
    assert not r.ok
    with pytest.raises(pc.CommandFailed, match="exit status 3"):
        r.check()


def test_command_runs_through_the_shell(pipeline_client):
    r = pipeline_client.exec(command="echo $((6*7)) | tr 4 x")
    assert r.ok and r.stdout == b"x2\n"


def test_env_and_cwd(pipeline_client, tmp_path):
    r = pipeline_client.exec(command='printf "%s:%s" "$GREETING" "$(pwd)"',
                             env={"GREETING": "hi there"}, cwd=str(tmp_path))
    assert r.stdout == b"hi there:" + str(tmp_path).encode()


def test_binary_stdin_bytes_roundtrip(pipeline_client):
    blob = bytes(range(256)) * 4096  # 1 MiB, every byte value
    r = pipeline_client.exec(["cat"], stdin=blob)
    assert r.stdout == blob and r.stdin_bytes == len(blob)
    # The connection carries the next call after a clean stdin EOF.
    assert pipeline_client.exec(["true"]).ok


def test_stdin_from_file_and_callable(pipeline_client, tmp_path):
    f = tmp_path / "in"
    f.write_bytes(b"a\nb\nc\n")
    with open(f, "rb") as fh:
        assert pipeline_client.exec(["wc", "-l"], stdin=fh).stdout.strip() \
            == b"3"
    chunks = [b"x" * 10, b"y" * 5, b""]
    r = pipeline_client.exec(["wc", "-c"], stdin=lambda: chunks.pop(0))
    assert r.stdout.strip() == b"15"
    assert pipeline_client.exec(["wc", "-c"],
                                stdin=io.BytesIO(b"12345")).stdout.strip() \
        == b"5"


def test_no_stdin_means_dev_null(pipeline_client):
    assert pipeline_client.exec(["cat"]).stdout == b""


def test_output_to_callback_file_and_discard(pipeline_client):
    seen = []
    sink = io.BytesIO()
    r = pipeline_client.exec(command="echo one; echo two >&2",
                             stdout=seen.append, stderr=sink)
    assert b"".join(seen) == b"one\n" and sink.getvalue() == b"two\n"
    assert r.stdout is None and r.stderr is None
    r = pipeline_client.exec(command="echo gone", stdout=pc.DISCARD)
    assert r.ok and r.stdout is None
    both = []
    pipeline_client.exec(command="echo a; echo b >&2",
                         on_output=lambda s, d: both.append((s, d)))
    assert sorted(both) == [("stderr", b"b\n"), ("stdout", b"a\n")]


def test_killed_by_signal_reports_128_plus_n(pipeline_client):
    r = pipeline_client.exec(command="kill -9 $$")
    assert r.signal == 9 and r.exit_code == 137


def test_send_signal_reaches_the_remote_group(pipeline_client):
    def on_out(stream, data):
        if b"ready" in data:
            pipeline_client.send_signal(signal.SIGTERM)
    r = pipeline_client.exec(command="echo ready; sleep 30",
                             on_output=on_out)
    assert r.signal == signal.SIGTERM and r.exit_code == 128 + 15


def test_send_signal_from_another_thread(pipeline_client):
    started = threading.Event()
    t = threading.Thread(target=lambda: (started.wait(20),
                                         pipeline_client.send_signal(2)))
    t.start()
    r = pipeline_client.exec(command="trap 'echo got INT; exit 5' INT; "
                             "echo up; while :; do sleep 0.05; done",
                             stdout=lambda d: started.set())
    t.join()
    assert r.exit_code == 5


def test_timeout_kills_and_flags(pipeline_client):
    r = pipeline_client.exec(["sleep", "30"], timeout=1)
    assert r.timed_out and r.signal != 0


def test_program_that_cannot_start(pipeline_client):
    r = pipeline_client.exec(["/nonexistent/prog"])
    assert r.exit_code == 127 and r.spawn_error
    assert pipeline_client.ping().payload  # still usable


def test_argument_errors(pipeline_client):
    with pytest.raises(ValueError):
        pipeline_client.exec()
    with pytest.raises(ValueError):
        pipeline_client.exec(["echo"], command="echo")
    with pytest.raises(ValueError):
        pipeline_client.exec("echo hi")


@pytest.mark.pipeline_config("server = { allow_exec = false; };")
def test_exec_refused_by_policy_carries_the_code(pipeline_client):
    with pytest.raises(pc.RemoteError) as ei:
        pipeline_client.exec(["true"])
    assert ei.value.code == pc.pb.CODE_PERMISSION_DENIED
    assert ei.value.name == "PERMISSION_DENIED"
    assert pipeline_client.ping()  # a Status ends the call, not the link


def test_bad_request_gets_invalid_argument(pipeline_client):
    with pytest.raises(pc.RemoteError) as ei:
        pipeline_client.exec(["echo"], env=["NOEQUALS"])
    assert ei.value.code == pc.pb.CODE_INVALID_ARGUMENT
