"""What a phone downloads for a page and how long it waits, in headless Chromium with a slow-4G throttle.

    python benchmarks/bench_page.py --base-url http://127.0.0.1:5099 [--path /] [--runs 5]

Slow 4G as Lighthouse throttles a mobile run: 150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up.
Prints a markdown table: bytes over the network and requests on the first visit (empty cache) and on the
next visit (same browser), and the time to the load event and until the map has its data, as medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from playwright.sync_api import sync_playwright

SLOW_4G = {"offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8,
           "uploadThroughput": 750_000 / 8}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


def visit(page, cdp, url: str) -> dict:
    sizes: dict[str, int] = {}
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    started = time.perf_counter()
    page.goto(url, wait_until="load")
    loaded = time.perf_counter() - started
    page.wait_for_selector(".folium-map[data-loaded='1']", timeout=60_000)
    ready = time.perf_counter() - started
    page.wait_for_load_state("networkidle")
    return {"bytes": sum(sizes.values()), "requests": sum(1 for n in sizes.values() if n > 0),
            "load_s": loaded, "map_s": ready}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:5099")
    parser.add_argument("--path", default="/")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    first, again = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"), args=ARGS)
        for _ in range(args.runs):
            context = browser.new_context(locale="de-DE", viewport={"width": 375, "height": 800})
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.emulateNetworkConditions", SLOW_4G)
            first.append(visit(page, cdp, args.base_url + args.path))
            again.append(visit(page, cdp, args.base_url + args.path))
            context.close()
        browser.close()
    print(f"\n{args.path} on a 375 px phone, slow 4G (150 ms RTT, 1.6 Mbit/s), median of {args.runs}\n")
    print("| visit | bytes | requests | load event s | map with data s |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, runs in (("first (empty cache)", first), ("next (same browser)", again)):
        median = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        print(f"| {name} | {median['bytes']:,.0f} | {median['requests']:.0f} | {median['load_s']:.2f} | "
              f"{median['map_s']:.2f} |")


if __name__ == "__main__":
    main()
