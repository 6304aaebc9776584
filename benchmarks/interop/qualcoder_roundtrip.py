"""Run inside QualCoder's virtual environment: import a .qdpx into a fresh QualCoder project through
QualCoder's own "REFI-QDA Project import", then export that project again through its own "REFI-QDA
Project export", headless, and copy the exported .qdpx to OUT.

It reuses the referee script ../shared/tools/qualcoder_check.py (its setup docstring applies: QualCoder's
source tree in $QUALCODER_SRC, its requirements in this interpreter's environment, Qt offscreen) for
the import, and answers the export's two dialogs (line endings: plain; folder: a temporary one) the
same way. Nothing of QualCoder is copied here; its modules are imported at run time.

    QUALCODER_SRC=... QUALCODER_CHECK=.../qualcoder_check.py \
        VENV/bin/python qualcoder_roundtrip.py IN.qdpx OUT.qdpx

Prints one JSON line: {"ok": true, "out": ..., "import_passed": ..., "exported_by": ...} and exits 0, or
{"ok": false, "error": ...} and exits 2.
"""

import importlib.util
import json
import os
import shutil
import sys
import tempfile
import traceback


def main(argv):
    source, out = os.path.abspath(argv[0]), os.path.abspath(argv[1])
    check_path = os.environ.get("QUALCODER_CHECK") or os.path.join(
        os.path.dirname(__file__), "..", "..", "..", "shared", "tools", "qualcoder_check.py"
    )
    spec = importlib.util.spec_from_file_location("qualcoder_check", check_path)
    check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check)
    src = os.path.abspath(os.environ["QUALCODER_SRC"])

    workdir = tempfile.mkdtemp(prefix="qualcoder-roundtrip-")
    home = os.path.join(workdir, "home")
    os.makedirs(os.path.join(home, ".qualcoder"))
    open(os.path.join(home, ".qualcoder", "QualCoder.log"), "w").close()
    os.environ["HOME"] = home
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ.setdefault("XDG_RUNTIME_DIR", workdir)
    check._refuse_network()
    copy = os.path.join(workdir, os.path.basename(source))
    shutil.copyfile(source, copy)
    messages = {"dialogs": [], "action_log": [], "log_warnings": [], "uncaught": [], "printed": []}
    state = {}
    real_stdout = sys.stdout
    try:
        sys.stdout = sys.stderr  # QualCoder prints; keep stdout for the JSON line
        info, result, project_path = check.run_qualcoder(src, copy, "qdpx", workdir, messages, state)
        expected = check.expected_from_qdpx(source)
        passed = check.compare_qdpx(expected, result)["passed"]

        from PyQt6 import QtWidgets

        export_dir = os.path.join(workdir, "export")
        os.makedirs(export_dir)
        QtWidgets.QFileDialog.getExistingDirectory = staticmethod(lambda *a, **k: export_dir)
        window = state["window"]
        window.refi_project_export()
        state["qapp"].processEvents()
        made = [f for f in os.listdir(export_dir) if f.endswith(".qdpx")]
        if len(made) != 1:
            raise RuntimeError(f"QualCoder's export wrote {made!r}")
        shutil.copyfile(os.path.join(export_dir, made[0]), out)
        result = {
            "ok": True,
            "out": out,
            "import_passed": passed,
            "exported_by": info["qualcoder_version"],
            "uncaught": messages["uncaught"],
        }
        code = 0
    except Exception as err:
        result = {
            "ok": False,
            "error": f"{type(err).__name__}: {err}",
            "traceback": traceback.format_exc(),
            "uncaught": messages["uncaught"],
        }
        code = 2
    real_stdout.write(json.dumps(result) + "\n")
    real_stdout.flush()
    shutil.rmtree(workdir, ignore_errors=True)
    os._exit(code)


if __name__ == "__main__":
    main(sys.argv[1:])
