#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Turn the man pages in docs/ (a small subset of pandoc's markdown) into
roff for man(1), at build time, without pandoc:

  % NAME(SECTION) source | manual      the title line
  # HEADING, ## Subheading
  paragraphs; **bold**, *italic* or _italic_, `code`
  TERM  followed by  ":   definition" (continued by 4-space indented lines)
  * bullet items
  4-space indented blocks after a blank line: literal examples

Usage: md2man.py INPUT OUTPUT"""
import re
import sys


def inline(text):
    text = text.replace('\\', '\\e')
    text = re.sub(r'`([^`]+)`', r'\\fB\1\\fR', text)
    text = re.sub(r'(?<![\w_])_(?!\s)(.+?)(?<!\s)_(?![\w_])', r'\\fI\1\\fR', text)
    text = re.sub(r'\*\*(.+?)\*\*', r'\\fB\1\\fR', text)
    text = re.sub(r'(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])', r'\\fI\1\\fR', text)
    text = text.replace('-', '\\-')
    if text.startswith(('.', "'")):
        text = '\\&' + text
    return text


def literal(line):
    line = line.replace('\\', '\\e')
    return '\\&' + line if line.startswith(('.', "'")) else line


def convert(lines):
    out = []
    m = re.match(r'%\s*(\S+)\((\w+)\)\s*(.*?)(?:\|\s*(.*))?$', lines[0]) if lines else None
    if not m:
        raise SystemExit('md2man: the first line must be "% NAME(SECTION) source | manual"')
    out.append('.TH "%s" "%s" "" "%s" "%s"' % (m.group(1), m.group(2), m.group(3).strip(), (m.group(4) or '').strip()))
    i, n, para = 1, len(lines), False
    while i < n:
        line = lines[i]
        if not line.strip():
            para = False
            i += 1
            continue
        if line.startswith('## '):
            out.append('.SS ' + inline(line[3:].strip()))
        elif line.startswith('# '):
            out.append('.SH ' + inline(line[2:].strip().upper()))
        elif line.startswith('    ') and not para:
            out += ['.PP', '.RS 4', '.nf']
            while i < n and (lines[i].startswith('    ') or not lines[i].strip()):
                if not lines[i].strip() and not (i + 1 < n and lines[i + 1].startswith('    ')):
                    break
                out.append(literal(lines[i][4:]))
                i += 1
            out += ['.fi', '.RE']
            continue
        elif i + 1 < n and lines[i + 1].startswith(':   '):
            out += ['.TP', inline(line.strip())]
            i += 1
            body = [lines[i][4:]]
            i += 1
            while i < n and (lines[i].startswith('    ') or (not lines[i].strip() and i + 1 < n and lines[i + 1].startswith('    '))):
                body.append(lines[i][4:])
                i += 1
            first = True
            for b in body:
                out.append('.IP' if not b.strip() and not first else inline(b.strip()) if b.strip() else '')
                first = False
            out = [o for o in out if o != '']
            continue
        elif line.startswith('* '):
            out += ['.IP \\(bu 2', inline(line[2:].strip())]
            i += 1
            while i < n and lines[i].startswith('  ') and lines[i].strip():
                out.append(inline(lines[i].strip()))
                i += 1
            continue
        else:
            if not para:
                out.append('.PP')
                para = True
            out.append(inline(line.strip()))
        i += 1
    return '\n'.join(out) + '\n'


def main():
    with open(sys.argv[1], encoding='utf-8') as f:
        text = convert(f.read().splitlines())
    with open(sys.argv[2], 'w', encoding='utf-8') as f:
        f.write(text)


if __name__ == '__main__':
    main()
