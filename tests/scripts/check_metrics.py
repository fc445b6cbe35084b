#!/usr/bin/python3
"""Reads a scrape of /api-mdm.php/metrics with the Prometheus client's own parser.

usage: check_metrics.py FILE [FAMILY...]

Fails (exit 1, with a sentence) when the parser refuses the text, a family is declared twice, a
histogram's buckets are not cumulative or its le="+Inf" bucket differs from its _count, or one of
the FAMILY names given is missing. Prints one line per family: name, type, number of samples.
Run by tests/integration/metrics_test.cpp with Debian's python3-prometheus-client.
"""
import math
import sys

from prometheus_client.parser import text_string_to_metric_families


def check(text, wanted):
    families = {}
    for family in text_string_to_metric_families(text):
        if family.name in families:
            raise ValueError("family %s appears twice" % family.name)
        families[family.name] = family
        if family.type not in ("counter", "gauge", "histogram"):
            raise ValueError("family %s has type %s" % (family.name, family.type))
        if family.type == "histogram":
            check_histogram(family)
    for name in wanted:
        # The parser names a counter's family without its _total suffix.
        base = name[: -len("_total")] if name.endswith("_total") else name
        if name not in families and base not in families:
            raise ValueError("family %s is missing" % name)
    return families


def check_histogram(family):
    series = {}
    for s in family.samples:
        key = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
        entry = series.setdefault(key, {"buckets": [], "count": None, "sum": None})
        if s.name.endswith("_bucket"):
            entry["buckets"].append((float(s.labels["le"]), s.value))
        elif s.name.endswith("_count"):
            entry["count"] = s.value
        elif s.name.endswith("_sum"):
            entry["sum"] = s.value
    for key, entry in series.items():
        buckets = entry["buckets"]
        if not buckets or not math.isinf(buckets[-1][0]):
            raise ValueError("%s%s has no le=\"+Inf\" bucket last" % (family.name, dict(key)))
        bounds = [b for b, _ in buckets]
        if bounds != sorted(bounds):
            raise ValueError("%s%s buckets are not in order" % (family.name, dict(key)))
        counts = [c for _, c in buckets]
        if any(a > b for a, b in zip(counts, counts[1:])):
            raise ValueError("%s%s buckets are not cumulative: %s" % (family.name, dict(key), counts))
        if entry["count"] != counts[-1] or entry["sum"] is None:
            raise ValueError("%s%s: _count %s, le=\"+Inf\" %s, _sum %s" %
                             (family.name, dict(key), entry["count"], counts[-1], entry["sum"]))


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        text = f.read()
    try:
        families = check(text, argv[2:])
    except Exception as e:  # the parser refuses with ValueError, sometimes with others
        print("check_metrics: %s" % e, file=sys.stderr)
        return 1
    for name, family in sorted(families.items()):
        print("%s %s %d" % (name, family.type, len(family.samples)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
