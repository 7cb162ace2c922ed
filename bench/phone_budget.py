"""The phone app's budgets over a poor network (issue 16): 400 kbit/s down, 400 ms round trip.

Runs the Playwright budget test (tests/browser/test_phone_journeys.py::test_budgets_on_a_poor_network,
Debian's Chromium, CDP Network.emulateNetworkConditions) and prints its figures: bytes transferred
and time to a usable 今日 page, first visit (empty caches, no service worker) and a later visit
(service worker installed). The test asserts the bytes; the timings are printed only, here.

    .venv/bin/python bench/phone_budget.py
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST = "tests/browser/test_phone_journeys.py::test_budgets_on_a_poor_network"


def main() -> int:
    run = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "pytest"), TEST, "-q", "-s", "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in run.stdout.splitlines() if line.startswith("BUDGET")]
    for line in lines:
        print(line.removeprefix("BUDGET ").strip())
    if run.returncode != 0 or not lines:
        print(run.stdout[-3000:], run.stderr[-2000:], sep="\n", file=sys.stderr)
        return 1
    print("budgets: first visit < 3 s and < 300 KB; later visits < 1 s and < 50 KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
