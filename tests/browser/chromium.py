"""How the browser tests start Debian's Chromium (never a browser Playwright downloads)."""

CHROMIUM = "/usr/bin/chromium"
# Headless as root, and quiet: this machine's network is closed, so Chromium's own background
# connections (updates, sync, QUIC probes) would only fail, many at a time.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
