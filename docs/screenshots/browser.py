#!/usr/bin/python3
"""Screenshots of netdata's dashboard with headless Chromium, for
docs/screenshots.sh. Drives Chromium over the DevTools protocol on a pipe
(--remote-debugging-pipe): no port, no library beyond Python's own.

  browser.py [options] dashboard OUT.png   the tcp_resets section, four charts
  browser.py [options] alarm OUT.png       the raised alarm in the alarms modal

The dashboard is the one netdata 1.37 serves at / (its "v1" React app,
which renders offline). Both views are reached by the dashboard's own URL
options: #menu_tcp_resets;after=-N;before=0 scrolls to our section and shows
the last N seconds; ;show_alarms=true opens the alarms modal.
"""

import argparse
import base64
import ctypes
import json
import os
import select
import signal
import subprocess
import sys
import time

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
    "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-default-apps",
    "--disable-extensions", "--mute-audio", "--hide-scrollbars",
    "--force-color-profile=srgb", "--remote-debugging-pipe",
    "--disable-breakpad",
]
PR_SET_CHILD_SUBREAPER = 36


class Chromium:
    """A headless Chromium in its own process group, driven over fds 3/4."""

    def __init__(self, exe, profile, pid_file, log):
        # Chromium's crash handler leaves its process group (it forks
        # twice); as a subreaper this process inherits it, and close()
        # stops it by its pid.
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        to_chrome_r, self.w = os.pipe()
        self.r, from_chrome_w = os.pipe()

        def fds():  # in the child, before exec: the pipe on fds 3 and 4
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        # As root, Chromium raises its own priority (nice -8 for the browser
        # and GPU processes); without CAP_SYS_NICE it stays at the nice
        # level it was started with and leaves netdata and the storm alone.
        keep_nice = ["setpriv", "--bounding-set", "-sys_nice", "--"] if os.geteuid() == 0 else []
        # Beside the profile, Chromium writes under $HOME (a crash report
        # database, dconf's cache): a home of its own, in the profile.
        home = os.path.join(profile, "home")
        env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=f"{home}/.config",
                   XDG_CACHE_HOME=f"{home}/.cache", XDG_DATA_HOME=f"{home}/.local/share")
        self.proc = subprocess.Popen(
            [*keep_nice, exe, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            pass_fds=(3, 4), preexec_fn=fds, start_new_session=True, env=env,
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.pid_file = pid_file
        if pid_file:
            with open(pid_file, "w") as f:
                f.write(f"{self.proc.pid}\n")
        self.buf, self.seq, self.session = b"", 0, None
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target,
                                 flatten=True)["sessionId"]
        self.call("Page.enable")

    def _message(self, timeout):
        end = time.monotonic() + timeout
        while b"\0" not in self.buf:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer")
            if select.select([self.r], [], [], left)[0]:
                chunk = os.read(self.r, 1 << 20)
                if not chunk:
                    raise EOFError("Chromium closed its DevTools pipe (crashed?)")
                self.buf += chunk
        msg, _, self.buf = self.buf.partition(b"\0")
        return json.loads(msg)

    def call(self, method, timeout=60, **params):
        self.seq += 1
        msg = {"id": self.seq, "method": method, "params": params}
        if self.session:
            msg["sessionId"] = self.session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            data = data[os.write(self.w, data):]
        while True:
            m = self._message(timeout)
            if m.get("id") == self.seq:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            # events are not needed: everything is polled

    def js(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"JavaScript failed: {r['exceptionDetails']}")
        return r["result"].get("value")

    def wait_js(self, expr, limit, what):
        end = time.monotonic() + limit
        while True:
            v = self.js(expr)
            if isinstance(v, dict) and v.get("ok"):
                return v
            if time.monotonic() > end:
                raise TimeoutError(f"gave up after {limit} s waiting for {what}; page says: {v}")
            time.sleep(0.5)

    def viewport(self, width, height):
        self.call("Emulation.setDeviceMetricsOverride", width=width,
                  height=height, deviceScaleFactor=1, mobile=False)

    def goto(self, url):
        self.call("Page.navigate", url="about:blank")
        self.call("Page.navigate", url=url)

    def shot(self, path, x, y, width, height):
        clip = {"x": x, "y": y, "width": width, "height": height, "scale": 1}
        data = self.call("Page.captureScreenshot", format="png", clip=clip)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        print(f"browser: {path}: {width}x{height} px", flush=True)

    def close(self):
        try:
            self.session = None
            self.call("Browser.close", timeout=5)
        except Exception:  # noqa: BLE001 - killed below if it did not close
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # whatever is left
        except ProcessLookupError:
            pass
        self.proc.wait()
        stop_orphans()
        if self.pid_file:
            os.unlink(self.pid_file)


def children():
    me, out = os.getpid(), []
    for d in os.listdir("/proc"):
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == me:
            out.append(int(d))
    return out


def stop_orphans():
    """Ends Chromium's processes that left its group and became ours."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = children()
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        end = time.monotonic() + 5
        while pids and time.monotonic() < end:
            for pid in list(pids):
                try:
                    if os.waitpid(pid, os.WNOHANG)[0]:
                        pids.remove(pid)
                except ChildProcessError:
                    pids.remove(pid)
            time.sleep(0.1)
        if not pids:
            return


# The four charts with the dimension whose value must show in each legend.
CHARTS_READY = """(() => {
  const want = {resets: "AttemptFails", causes: "queue_full",
                syncookies: "syn_queue_drops", spoofing: "challenge_acks"};
  const out = {ok: true};
  for (const [id, dim] of Object.entries(want)) {
    const el = document.getElementById("chart_tcp_resets_" + id);
    const text = el ? el.innerText : "";
    const value = new RegExp(dim + "\\\\s+[0-9][0-9,.]*").test(text);
    const canvas = !!(el && el.querySelector("canvas"));
    out[id] = {canvas, value};
    if (!canvas || !value) out.ok = false;
  }
  const head = document.getElementById("menu_tcp_resets");
  const last = document.getElementById("chart_tcp_resets_spoofing");
  if (!head || !last) return {ok: false, why: "no tcp_resets section yet"};
  out.top = head.getBoundingClientRect().top;
  out.bottom = last.getBoundingClientRect().bottom;
  if (out.top < 0 || out.top > 150) out.ok = false;
  // The menu on the right opens our section's submenu on a scroll event,
  // which a load straight onto #menu_tcp_resets does not always send.
  out.menu = !!document.querySelector('#sidebar li.active > a[href="#menu_tcp_resets"]');
  if (!out.menu) {
    window.dispatchEvent(new Event("scroll"));
    out.ok = false;
  }
  return out;
})()"""

ALARM_READY = """(() => {
  const modal = document.querySelector("#alarmsModal.in .modal-content");
  if (!modal) return {ok: false, why: "alarms modal not open"};
  const rows = [...document.querySelectorAll("#alarms_active tr")];
  const row = rows.find(r => r.innerHTML.includes("%(alarm)s"));
  if (!row) return {ok: false, why: "%(alarm)s not among the raised alarms"};
  const imgs = [...modal.querySelectorAll("img")];
  if (!imgs.every(i => i.complete && i.naturalWidth > 0))
    return {ok: false, why: "badges still loading"};
  const m = modal.getBoundingClientRect(), r = row.getBoundingClientRect();
  const first = rows.findIndex(x => x.querySelector("td")) === rows.indexOf(row);
  return {ok: true, x: m.left, y: m.top, width: m.width,
          bottom: r.bottom, first: first};
})()"""


def dashboard(b, url, out, seconds, width):
    height = 1700  # taller than the section: nothing below it is cut by
    b.viewport(width, height)  # the viewport, and the clip ends at its end
    b.goto(f"{url}/#menu_tcp_resets;after=-{seconds};before=0")
    b.wait_js(CHARTS_READY, 60, "the four tcp_resets charts with data")
    time.sleep(3)  # the charts' last redraw
    v = b.wait_js(CHARTS_READY, 20, "the four tcp_resets charts with data")
    bottom = round(v["bottom"]) + 14
    if bottom > height:
        sys.exit(f"browser: the section ends at {bottom} px, below the {height} px viewport")
    b.shot(out, 0, 0, width, bottom)


def alarm(b, url, out, name, width):
    height = 1600
    b.viewport(width, height)
    b.goto(f"{url}/#menu_tcp_resets;show_alarms=true")
    expr = ALARM_READY % {"alarm": name}
    b.wait_js(expr, 60, f"{name} in the alarms modal")
    time.sleep(2)  # the modal's fade-in
    v = b.wait_js(expr, 20, f"{name} in the alarms modal")
    if not v["first"]:
        print(f"browser: note: {name} is not the first raised alarm", flush=True)
    # The modal from its title to the end of the alarm's row, less its 1 px
    # border and its rounded top corners (the dimmed dashboard behind
    # them), and less the line that starts the next row.
    x, top, bottom = round(v["x"]) + 1, round(v["y"]) + 6, round(v["bottom"]) - 1
    if bottom > height:
        sys.exit(f"browser: the alarm ends at {bottom} px, below the {height} px viewport")
    b.shot(out, x, top, round(v["width"]) - 2, bottom - top)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--chromium", default="/usr/bin/chromium")
    p.add_argument("--profile", required=True, help="a new, empty directory")
    p.add_argument("--pid-file", help="where to write Chromium's pid (its process group)")
    p.add_argument("--log", help="Chromium's stderr goes here")
    p.add_argument("--url", default="http://127.0.0.1:19999")
    p.add_argument("--width", type=int, default=1000, help="viewport width, CSS px")
    p.add_argument("--seconds", type=int, default=120, help="dashboard: time window")
    p.add_argument("--alarm", default="10s_ipv4_tcp_resets_received")
    p.add_argument("what", choices=["dashboard", "alarm"])
    p.add_argument("out")
    a = p.parse_args()
    # Stopped from outside: close Chromium on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    log = open(a.log, "ab") if a.log else subprocess.DEVNULL
    b = Chromium(a.chromium, a.profile, a.pid_file, log)
    try:
        if a.what == "dashboard":
            dashboard(b, a.url.rstrip("/"), a.out, a.seconds, a.width)
        else:
            alarm(b, a.url.rstrip("/"), a.out, a.alarm, a.width)
    finally:
        b.close()


if __name__ == "__main__":
    main()
