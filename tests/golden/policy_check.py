#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""policy_check.py - rule tests as users keep them in CI.

  policy_check.py expect BULKHEAD POLICY EXPECT PCAP...
      `bulkhead replay --policy POLICY --expect EXPECT PCAP...` must exit 0
      with 1 and with 2 workers, print the same decisions for both, and
      --write-dropped must write exactly the packets the summary counts as
      dropped. Then the checker is checked: the same run with the verdict of
      every `deny` or `audit` line turned into `allow` must exit 1 and name each line.

  policy_check.py learn BULKHEAD POLICY PCAP
      Learning: the Workload documents of POLICY, with the allowed part of
      PCAP (IPv4, no intruder, no L4 denial: see tests/data/policy/shop.expect)
      -> `--learn`; replaying the allowed part with the workloads and the
      learned policy denies nothing; replaying all of PCAP denies the rest
      (every IPv6 transaction and the intruder's flows).
"""
import json
import os
import re
import subprocess
import sys
import tempfile


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def decisions(eve_text):
    out = []
    for line in eve_text.splitlines():
        ev = json.loads(line)
        if "verdict" in ev:
            out.append((ev["flow_id"], ev["event_type"], ev["verdict"]["action"],
                        ev["verdict"]["reason"]))
    return out


def check_expect(bulkhead, policy, expect, pcaps):
    with tempfile.TemporaryDirectory(prefix="bh-policy-") as tmp:
        seen = {}
        for workers in ("1", "2"):
            eve = os.path.join(tmp, "eve-%s.json" % workers)
            dropped = os.path.join(tmp, "dropped-%s.pcap" % workers)
            r = run([bulkhead, "replay", "--workers", workers, "--policy", policy, "--expect",
                     expect, "--eve", eve, "--write-dropped", dropped] + pcaps)
            sys.stdout.write(r.stderr if workers == "1" else "")
            if r.returncode != 0:
                print(r.stdout + r.stderr)
                fail("--workers %s: exit %d, expected 0" % (workers, r.returncode))
            m = re.search(r"(\d+) packets dropped", r.stdout + r.stderr)
            if not m:
                fail("no verdict summary line")
            n = int(m.group(1))
            got = run(["capinfos", "-c", "-M", dropped]).stdout if n else ""
            if n and ("Number of packets:   %d" % n) not in got and \
                    ("Number of packets: %d" % n) not in got:
                fail("--write-dropped: %s holds other than %d packets:\n%s" % (dropped, n, got))
            with open(eve) as f:
                seen[workers] = decisions(f.read())
        if seen["1"] != seen["2"]:
            fail("decisions differ between 1 and 2 workers")
        if not seen["1"]:
            fail("no decisions at all")
        print("%d decisions, identical with 1 and 2 workers; %d packets dropped" %
              (len(seen["1"]), n))
        # The checker must catch a wrong expectation, at its line.
        with open(expect) as f:
            lines = f.read().splitlines()
        flipped, want = [], []
        for i, line in enumerate(lines, 1):
            code = line.split("#", 1)[0]
            if re.search(r"\s(deny|audit)(\s|$)", code) and \
                    not code.strip().startswith("default"):
                line = re.sub(r"\s(deny|audit)(\s+\S+)?\s*$", " allow", code)
                want.append(i)
            flipped.append(line)
        bad = os.path.join(tmp, os.path.basename(expect))
        with open(bad, "w") as f:
            f.write("\n".join(flipped) + "\n")
        r = run([bulkhead, "replay", "--policy", policy, "--expect", bad] + pcaps)
        if r.returncode != 1:
            fail("flipped expectations: exit %d, expected 1" % r.returncode)
        text = r.stdout + r.stderr
        missing = [i for i in want if ("%s:%d:" % (os.path.basename(bad), i)) not in text]
        if missing:
            print(text)
            fail("flipped expectations: lines %s not reported" % missing)
        print("flipped %d deny/audit lines: each reported, exit 1" % len(want))


def workload_docs(policy):
    with open(policy) as f:
        docs = re.split(r"^---\s*$", f.read(), flags=re.M)
    return "\n---\n".join(d for d in docs if re.search(r"^kind:\s*Workload\s*$", d, re.M))


def allowed_part(src, dst):
    """The IPv4 packets of the shop capture but the intruder's and the
    frontend's attempt at orders-pg (L4 denials in shop.expect)."""
    from scapy.all import IP, TCP, PcapReader, PcapWriter  # noqa: E402
    n = 0
    with PcapReader(src) as rd, PcapWriter(dst, sync=True) as wr:
        for p in rd:
            if IP not in p:
                continue
            ip = p[IP]
            if "10.99.7.99" in (ip.src, ip.dst):
                continue
            if TCP in p and 5432 in (p[TCP].sport, p[TCP].dport) and \
                    "10.99.7.10" in (ip.src, ip.dst):
                continue
            wr.write(p)
            n += 1
    return n


def check_learn(bulkhead, policy, pcap):
    with tempfile.TemporaryDirectory(prefix="bh-learn-") as tmp:
        wl = os.path.join(tmp, "workloads.yaml")
        with open(wl, "w") as f:
            f.write(workload_docs(policy))
        part = os.path.join(tmp, "allowed.pcap")
        print("allowed part: %d packets" % allowed_part(pcap, part))
        learned = os.path.join(tmp, "learned.yaml")
        r = run([bulkhead, "replay", "--policy", wl, "--learn", learned, part])
        if r.returncode != 0:
            print(r.stdout + r.stderr)
            fail("--learn: exit %d" % r.returncode)
        with open(learned) as f:
            text = f.read()
        print("learned %d WorkloadPolicy documents, %d rules" %
              (text.count("kind: WorkloadPolicy"), len(re.findall(r"^\s*- name:", text, re.M))))
        for what, files, want_denied in (("allowed part", [part], False),
                                         ("whole capture", [pcap], True)):
            eve = os.path.join(tmp, "eve.json")
            r = run([bulkhead, "replay", "--policy", wl, "--policy", learned, "--eve", eve] + files)
            if r.returncode != 0:
                print(r.stdout + r.stderr + text)
                fail("replay with the learned policy: exit %d" % r.returncode)
            with open(eve) as f:
                d = decisions(f.read())
            denied = [x for x in d if x[2] != "allow"]
            if not want_denied and denied:
                print(text)
                fail("%s: the learned policy denies %d decisions: %s" %
                     (what, len(denied), denied[:5]))
            if want_denied:
                flows = {x[0] for x in denied}
                if len(flows) < 10:
                    fail("%s: only %d flows denied outside what was learned" % (what, len(flows)))
                print("%s: %d decisions, %d denied (%d flows) outside what was learned" %
                      (what, len(d), len(denied), len(flows)))
            else:
                print("%s: %d decisions, none denied" % (what, len(d)))


def main():
    if len(sys.argv) >= 5 and sys.argv[1] == "expect":
        check_expect(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
    elif len(sys.argv) == 5 and sys.argv[1] == "learn":
        check_learn(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)
    print("PASS")


if __name__ == "__main__":
    main()
