#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""sids.py - the table of built-in signature ids, for dpi/rules/README.md.

Usage: sids.py [--check README.md]

Reads every dpi/rules/*.rules (sid, msg, classtype, buffers) and the
detectors written in C (the dpi_csigs table of dpi/dpi_sigs.c) and prints a
markdown table per set. With --check, exits 1 unless every sid appears in
the README with its message (the documentation can't fall behind).
"""
import glob
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SETS = ['sqli', 'cmdi', 'traversal', 'xss', 'jndi', 'ssrf-metadata', 'scanner',
        'http-anomaly', 'dns-tunnel', 'dns-anomaly']
BUFFERS = ('http.uri.raw', 'http.uri', 'http.method', 'http.host', 'http.header',
           'http.user_agent', 'http.cookie', 'http.request_body', 'http.param',
           'dns.query', 'tls.sni', 'sql.query')


def rule_sigs():
    out = []
    for path in sorted(glob.glob(os.path.join(HERE, '*.rules'))):
        st = os.path.basename(path)[:-len('.rules')]
        text = open(path, encoding='utf-8').read().replace('\\\n', ' ')
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            sid = re.search(r'\bsid:\s*(\d+)', line)
            msg = re.search(r'\bmsg:\s*"((?:[^"\\]|\\.)*)"', line)
            ct = re.search(r'\bclasstype:\s*([\w-]+)', line)
            bufs = []
            for b in re.findall(r'\b(http\.[a-z_.]+|dns\.query|tls\.sni|sql\.query)\s*;', line):
                if b in BUFFERS and b not in bufs:
                    bufs.append(b)
            out.append((st, int(sid.group(1)), msg.group(1) if msg else '',
                        ct.group(1) if ct else '', ', '.join(bufs) or 'stream', 'rule'))
    return out


def c_sigs():
    src = open(os.path.join(HERE, '..', 'dpi_sigs.c'), encoding='utf-8').read()
    body = src[src.index('dpi_csigs[DPI_CS__MAX] = {'):]
    body = body[:body.index('\n};')]
    out = []
    for m in re.finditer(r'\{(\d+), DPI_SET_(\w+), "([\w-]+)",\s*((?:"(?:[^"\\]|\\.)*"\s*)+)\}', body):
        msg = ''.join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(4)))
        st = m.group(2).lower().replace('_', '-')
        out.append((st, int(m.group(1)), msg, m.group(3), '', 'C detector'))
    return out


def table(sigs):
    lines = []
    for st in SETS:
        rows = sorted(s for s in sigs if s[0] == st)
        if not rows:
            continue
        lines.append('### `%s`\n' % st)
        lines.append('| sid | signature | classtype | buffers | kind |')
        lines.append('| --- | --- | --- | --- | --- |')
        for _, sid, msg, ct, bufs, kind in rows:
            lines.append('| %d | %s | %s | %s | %s |' % (sid, msg.replace('|', '\\|'), ct,
                                                      bufs, kind))
        lines.append('')
    return '\n'.join(lines)


def main():
    sigs = rule_sigs() + c_sigs()
    if len(sys.argv) == 3 and sys.argv[1] == '--check':
        doc = open(sys.argv[2], encoding='utf-8').read()
        missing = [s for s in sigs if '| %d | %s |' % (s[1], s[2].replace('|', '\\|')) not in doc]
        for s in missing:
            print('%s: sid %d (%s) is not documented as it is defined; '
                  'regenerate with dpi/rules/sids.py' % (sys.argv[2], s[1], s[2]))
        print('%d signatures, %d undocumented' % (len(sigs), len(missing)))
        sys.exit(1 if missing else 0)
    print(table(sigs))


if __name__ == '__main__':
    main()
