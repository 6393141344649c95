#!/usr/bin/env python3
"""Copies the SigmaHQ rules atoll's telemetry can reach into this folder (atoll's default pack).

Usage: sigmahq/vendor.py PATH-TO-SIGMA-CHECKOUT

Keeps every rule file of `rules/`, `rules-emerging-threats/` and `rules-threat-hunting/` whose
log source names no product, or one of the products atoll routes (docs/logsources.md). Other
files (cloud, macOS, identity providers, application frameworks) would load but never see an
event, so they stay out of the binary; so do rules whose values are `|expand` placeholders
(`%known_cdcs%`): they need the values of a real site, which a simulated one does not have.
Update VERSION by hand with the checkout's commit.
"""
import pathlib
import re
import shutil
import sys

ROOTS = ["rules", "rules-emerging-threats", "rules-threat-hunting"]
PRODUCTS = {"windows", "linux", "cisco", "fortigate"}
PRODUCT = re.compile(r"^\s+product:\s*['\"]?([A-Za-z0-9_-]+)", re.MULTILINE)


def wanted(text: str) -> bool:
    if "|expand" in text:
        return False
    products = set(PRODUCT.findall(text))
    return not products or products <= PRODUCTS


def main() -> None:
    source = pathlib.Path(sys.argv[1])
    here = pathlib.Path(__file__).resolve().parent
    kept = 0
    for root in ROOTS:
        target = here / root
        if target.exists():
            shutil.rmtree(target)
        for path in sorted((source / root).rglob("*")):
            if path.suffix not in (".yml", ".yaml") or not path.is_file():
                continue
            text = path.read_text(encoding="utf-8")
            if not wanted(text):
                continue
            out = target / path.relative_to(source / root)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
            kept += 1
    for name in ("LICENSE",):
        shutil.copy(source / name, here / name)
    print(f"{kept} rule files copied")


if __name__ == "__main__":
    main()
