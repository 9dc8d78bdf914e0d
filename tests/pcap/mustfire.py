"""The must-fire rows of ../shared/expect/ (midstream_cut.py, span_reorder.py)."""
import os
import shutil


def rows(shared, tools):
    """([(capture, [detector...])], corpus.yaml's path) of must-fire.tsv, or
    None when it or one of the tools (commands on PATH) is absent."""
    tsv = os.path.join(shared, "expect", "must-fire.tsv")
    if not os.path.exists(tsv) or not all(shutil.which(t) for t in tools):
        return None
    with open(tsv) as f:
        lines = [line.rstrip("\n").split("\t") for line in f if line.strip() and not line.startswith("#")]
    return [(cap, need.split(",")) for cap, need in lines], os.path.join(shared, "expect", "corpus.yaml")
