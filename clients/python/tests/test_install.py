"""The package installs offline with pip and imports with no path tricks."""
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)


def test_pip_install_offline_then_import(tmp_path, pipeline_server):
    # Build from a copy: an in-tree build would leave build/ and egg-info
    # in the source tree.
    src = tmp_path / "src"
    shutil.copytree(SRC, src, ignore=shutil.ignore_patterns(
        "tests", "__pycache__", "build", "*.egg-info"))
    venv = tmp_path / "venv"
    # Debian's protobuf and dissononce come from the system site-packages.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages",
                    "--without-pip", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PIP_NO_INDEX"] = "1"  # offline: never ask a package index
    p = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install",
                        "--no-build-isolation", "--no-deps", "-q", str(src)],
                       capture_output=True, text=True, env=env, cwd=tmp_path,
                       timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    py = str(venv / "bin" / "python")
    # From an unrelated directory, with no PYTHONPATH.
    p = subprocess.run([py, "-c", "import pipeline_client, sys; "
                        "print(pipeline_client.__file__); "
                        "print(pipeline_client.pipeline_pb2.Frame.__name__)"],
                       capture_output=True, text=True, env=env, cwd="/",
                       timeout=60)
    assert p.returncode == 0, p.stderr
    where, frame = p.stdout.split()
    assert where.startswith(str(venv)) and frame == "Frame"
    p = subprocess.run([py, "-m", "pipeline_client", "--address",
                        pipeline_server.address, "exec", "-n", "echo",
                        "installed"], capture_output=True, text=True,
                       env=env, cwd="/", timeout=60)
    assert (p.returncode, p.stdout) == (0, "installed\n"), p.stderr
    # The console script and the pytest plugin's entry point.
    assert (venv / "bin" / "pipeline-py").exists()
    p = subprocess.run([py, "-c", "from importlib.metadata import "
                        "entry_points; print([e.value for e in "
                        "entry_points(group='pytest11')])"],
                       capture_output=True, text=True, env=env, cwd="/")
    assert "pipeline_client.pytest_plugin" in p.stdout
