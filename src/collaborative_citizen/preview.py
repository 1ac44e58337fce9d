"""`make preview`: the wave's report served on 127.0.0.1 and rebuilt on every save, the open page reloading itself.

Each save rebuilds what it needs, as `make report` would, with the same bytes: a saved essay, the page alone, in
this process (its imports warm); a finding's template, that finding in the kernel the preview keeps
(preview_notebooks.py), then the page; a notebook, report.yml or the data, `make notebooks` and then the page here;
the package or the Makefile, all of `make html` in new processes. The PDF and the workbook are left to
`make report`. The page is served once rendered and fact-checked; the whole-page check and the write follow.
The reload script exists only in what this server sends: it is added to each response (with a
Content-Security-Policy that lets that one script, and nothing else, run), never written to a file. A failed
build keeps the last good page on screen with the error above it, and prints the same lines as `make report`."""

from __future__ import annotations

import http.server
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

# What the Makefile reads: a change under any of these rebuilds (build outputs excluded).
WATCHED = ("report", "notebooks", "src", "Makefile")
IGNORED = re.compile(r"(^|/)(build|__pycache__|\.ipynb_checkpoints)(/|$)|\.pyc$|~$|\.sw.$")
POLL_SECONDS = 0.1  # a look at every watched file takes about 2 ms

RELOAD_SCRIPT = """<script nonce="{nonce}">
(function () {{
  var seen = null;
  function banner(lines) {{
    var box = document.getElementById("preview-error");
    if (!lines.length) {{ if (box) box.remove(); return; }}
    if (!box) {{
      box = document.createElement("pre");
      box.id = "preview-error";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:sticky;top:0;z-index:9;margin:0;padding:1em;white-space:pre-wrap;" +
        "background:#7a0019;color:#fff;font:14px/1.4 monospace";
      document.body.insertBefore(box, document.body.firstChild);
    }}
    box.textContent = "The last build failed; this is the last good page.\\n" + lines.join("\\n");
  }}
  function poll() {{
    fetch("/__preview/state", {{cache: "no-store"}}).then(function (r) {{ return r.json(); }}).then(function (s) {{
      if (seen !== null && s.version !== seen) {{ location.reload(); return; }}
      seen = s.version;
      banner(s.errors);
    }}).catch(function () {{}}).then(function () {{ setTimeout(poll, 300); }});
  }}
  poll();
}})();
</script>"""


class Preview:
    """Watches the inputs and rebuilds what each change needs (`rebuild_for`); the server asks it for the page."""

    def __init__(self, wave: str, make_args: list[str], build: Path, root: Path, quiet: bool = False):
        self.wave, self.make_args, self.build, self.root = wave, make_args, build, root
        self.page = build / f"collaborative-citizen-{wave}.html"
        self.version = 0
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.process: subprocess.Popen | None = None
        self.quiet = quiet
        self.errors_from_make = False  # the last make run failed: the next change goes through make again
        self.unchecked: str | None = None  # a rendered page served while its whole-page check runs
        self.busy = True  # building (the first build is due): a save now is seen when this one is done
        self.code_stale = False  # the package or Makefile changed since this process imported it
        from .preview_notebooks import PreviewNotebooks

        self.notebooks = PreviewNotebooks(root, wave, self._make_value("DATA_DIR", "data"), build.parent)

    def paths(self):
        """Where `make html` reads and writes, as the Makefile sets it for this wave."""
        from .paths import Paths

        data_dir = Path(self._make_value("DATA_DIR", "data"))
        return Paths(root=self.root, data=data_dir, report=Path("report"), build=self.build.parent, wave=self.wave)

    def build_done(self, errors: list[str]) -> None:
        """A build ended: the open page reloads, and its errors (none when it succeeded) show above the last good
        page and in the terminal."""
        with self.lock:
            self.errors = errors
            self.version += 1
        for line in errors:
            print(line, file=sys.stderr, flush=True)

    def inputs(self) -> dict[str, float]:
        return watched_files(self.root, Path(self._make_value("DATA_DIR", "data")))

    def _make_value(self, name: str, default: str) -> str:
        for arg in self.make_args:
            if arg.startswith(f"{name}="):
                return arg.split("=", 1)[1]
        return default

    def essays_only(self, changed: set[str]) -> bool:
        """Whether every change is an essay's, which only the HTML step reads: then the HTML is rebuilt in this
        process at once, whose imports are warm."""
        commentary = str(self.root / "report" / "commentary") + os.sep
        return bool(changed) and all(path.startswith(commentary) for path in changed) and self.page.is_file()

    def code_changed(self, changed: set[str]) -> bool:
        """Whether the package or the Makefile changed: this process's modules are then out of date, so the whole
        of `make html` runs, its HTML step in a new process."""
        code = [str(self.root / "src") + os.sep, str(self.root / "Makefile")]
        return any(path.startswith(prefix) for path in changed for prefix in code)

    def rebuild_html_here(self, started: float | None = None) -> None:
        """The HTML step of `make html`, run in this process, with the same one-line errors. The rendered page is
        served as soon as it is fact-checked; the whole-page check (allowlists, links, ids, fonts) runs while
        the browser loads it, and only a page that passes it is written to the work tree. One that fails is
        taken down again: the last good page comes back, with the error above it."""
        from .errors import DataValidationError, PublishError, os_error_line
        from .publish.report import check_html, render_html, write_html

        started = started or time.monotonic()
        paths = self.paths()
        errors: list[str] = []
        try:
            rendered = render_html(paths)
            with self.lock:
                self.unchecked, self.errors = rendered.html, []
                self.version += 1
            served = time.monotonic()
            check_html(paths, rendered.html)
            write_html(paths, rendered)
        except (PublishError, DataValidationError) as error:
            errors = [f"error: {line}" for line in error.problems]
        except OSError as error:
            errors = [f"error: {os_error_line(error)}"]
        except Exception as error:  # noqa: BLE001 (a bad input the command line would report must not stop the preview)
            errors = [f"error: {line}" for line in str(error).splitlines() or [type(error).__name__]]
        finally:
            with self.lock:
                self.unchecked = None
        if errors:
            self.build_done(errors)
        elif not self.quiet:
            print(
                f"preview: {self.wave}: rebuilt in {time.monotonic() - started:.1f} s "
                f"(served after {served - started:.1f} s)",
                flush=True,
            )

    def warm_up(self) -> None:
        """Render the page once without serving or writing it, and start the kernel for finding templates: the
        first render in a process reads every template and the codebook, so doing it now makes the first save as
        quick as the ones after it."""
        from .publish.report import render_html

        paths = self.paths()
        try:
            render_html(paths)
        except Exception:  # noqa: BLE001 (a failing render shows itself on the first save, with its message)
            pass
        # The kernel for a saved finding template boots meanwhile (its first notebook waits until it is ready).
        self.notebooks.start()

    def rebuild(self, target: str = "html") -> bool:
        """`make <target>` (html: everything the page needs, the page included; notebooks: all but the page), with
        its one-line errors shown. True when it succeeded."""
        started = time.monotonic()
        self.process = subprocess.Popen(
            ["make", "-s", target, f"WAVE={self.wave}", *self.make_args],
            cwd=self.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            env={**os.environ, "MAKEFLAGS": ""},
        )
        out, err = self.process.communicate()
        code, self.process = self.process.returncode, None
        self.errors_from_make = code != 0
        errors = [line for line in err.splitlines() if line.startswith("error:")]
        if code != 0 and not errors:
            errors = [line for line in err.splitlines() if line.strip()][-3:] or [f"error: make exited {code}"]
        if code != 0:
            self.build_done(errors)
        elif target == "html":
            self.build_done([])
        if code == 0 and target == "html" and not self.quiet:
            print(f"preview: {self.wave}: rebuilt in {time.monotonic() - started:.1f} s", flush=True)
        return code == 0

    def rebuild_for(self, changed: set[str]) -> None:
        """What the change needs: an essay, the page alone (here); a finding's template, that finding in the
        preview's kernel, then the page here; anything else (a notebook, report.yml, the data), make runs the
        notebooks that need it and the page is rendered here. Once the package or the Makefile has changed, this
        process's code is out of date and every change runs `make html` in new processes."""
        started = time.monotonic()
        if self.code_changed(changed) and not self.code_stale:
            # This process's modules are now older than the package: every later page comes from make.
            self.code_stale = True
            if not self.quiet:
                print(
                    f"preview: {self.wave}: the package changed; every save now runs make html "
                    "(restart make preview for the quicker rebuilds)",
                    flush=True,
                )
        if self.errors_from_make or self.code_stale or not self.page.is_file():
            self.notebooks.stop()  # its imports may be out of date
            self.rebuild()
        elif self.essays_only(changed):
            self.rebuild_html_here(started)
        elif (jobs := self.notebooks.jobs_for(changed)) is not None:
            if self.run_here(jobs):
                self.rebuild_html_here(started)
        elif self.rebuild("notebooks"):
            self.rebuild_html_here(started)

    def run_here(self, jobs) -> bool:
        """Findings whose template alone changed, run in the preview's kernel; a failure is shown as make shows it."""
        from .errors import NotebookError

        try:
            self.notebooks.run(jobs)
            return True
        except (NotebookError, OSError, RuntimeError) as error:
            errors = [f"error: {line}" for line in str(error).splitlines() or [type(error).__name__]]
        # Until make has run the notebooks again, a page rendered here would show the finding's last good run.
        self.errors_from_make = True
        self.build_done(errors)
        return False

    def stop(self) -> None:
        self.notebooks.stop()
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)

    def state(self) -> dict:
        with self.lock:
            return {"version": self.version, "errors": list(self.errors), "busy": self.busy}

    def set_busy(self, busy: bool) -> None:
        with self.lock:
            self.busy = busy

    def served_page(self) -> bytes:
        with self.lock:
            unchecked = self.unchecked
        if unchecked is not None:
            return with_reload_script(unchecked)
        return with_reload_script(self.page.read_text(encoding="utf-8") if self.page.is_file() else WAITING)


WAITING = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Preview</title></head><body><main>'
    "<p>No report yet: waiting for the first build.</p></main></body></html>"
)


def with_reload_script(html: str) -> bytes:
    """The page with the reload script, and a policy that lets that one script (and its polling) run."""
    nonce = secrets.token_urlsafe(16)
    policy = (
        f"default-src 'none'; style-src 'unsafe-inline'; font-src data:; img-src data:; "
        f"script-src 'nonce-{nonce}'; connect-src 'self'"
    )
    html = re.sub(
        r'<meta http-equiv="Content-Security-Policy"[^>]*>',
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">',
        html,
        count=1,
    )
    if "Content-Security-Policy" not in html:
        html = html.replace("<head>", f'<head><meta http-equiv="Content-Security-Policy" content="{policy}">', 1)
    return html.replace("</body>", RELOAD_SCRIPT.format(nonce=nonce) + "</body>", 1).encode("utf-8")


def watched_files(root: Path, data_dir: Path) -> dict[str, float]:
    """Every file the Makefile reads (build outputs excluded), with its modification time."""
    found = {}
    roots = [root / name for name in WATCHED] + [data_dir if data_dir.is_absolute() else root / data_dir]
    for top in roots:
        if top.is_file():
            found[str(top)] = top.stat().st_mtime
            continue
        for folder, folders, files in os.walk(top):
            folders[:] = [f for f in folders if not IGNORED.search(f"{folder}/{f}")]
            for name in files:
                path = f"{folder}/{name}"
                if not IGNORED.search(path):
                    try:
                        found[path] = os.stat(path).st_mtime
                    except FileNotFoundError:
                        continue
    return found


def _handler(preview: Preview):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the standard library's name)
            path = self.path.split("?", 1)[0]
            if path in ("/", f"/{preview.page.name}"):
                self._send(preview.served_page(), "text/html; charset=utf-8")
            elif path == "/__preview/state":
                self._send(json.dumps(preview.state()).encode(), "application/json")
            else:
                # The downloads beside the report (results.csv, the workbook): files of the build folder only.
                target = (preview.build / path.lstrip("/")).resolve()
                if target.is_file() and target.is_relative_to(preview.build.resolve()):
                    self._send(target.read_bytes(), "application/octet-stream")
                else:
                    self.send_error(404)

        def _send(self, body: bytes, kind: str):
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass  # the terminal is for the build's own lines

    return Handler


def serve(preview: Preview, port: int = 0) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _handler(preview))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"preview: {preview.wave}: serving http://127.0.0.1:{server.server_port}/ (Ctrl-C to stop)", flush=True)
    try:
        seen = preview.inputs()
        preview.rebuild()
        if not preview.errors_from_make:
            preview.warm_up()
        preview.set_busy(False)
        while True:
            time.sleep(POLL_SECONDS)
            now = preview.inputs()
            if now != seen:
                preview.set_busy(True)
                changed = {p for p in now.keys() | seen.keys() if now.get(p) != seen.get(p)}
                seen = now
                preview.rebuild_for(changed)
                preview.set_busy(False)
                # `seen` stays what it was before the build (which writes only into build/, never watched): a
                # file saved while the build ran is a change the next look finds.
    except KeyboardInterrupt:
        print(f"preview: {preview.wave}: stopped", flush=True)
    finally:
        preview.stop()
        server.shutdown()
        server.server_close()
