#!/usr/bin/env python3
"""judged.py: every judged number of a scenario file, as one Markdown table.

A value is judged when the comment on its line says "judgement" (the convention of the
Venezuela set: every number names its source in calibration.md or says "judgement: <reason>").
Each row gives the parameter's key as `entente check` and `--params` name it, the value as
written (a number or a distribution) and the reason from the comment. Used by findings.sh for
docs/VALIDATION.md; standard library only.
"""

import re
import sys

# Which keys of a table make it identifiable, and how the key path is built (as the engine
# registers parameters: actors.VEN.growth, ties.VEN.USA.oil.weight, events.ID.value,
# rules.RULE.param).
HEADER = re.compile(r"^\[\[(actors|ties|events|rules|outcomes)\]\]\s*$")
ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$")


def split_comment(text):
    """The value and the comment of a TOML line, outside quoted strings and braces."""
    depth, quoted = 0, False
    for index, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif not quoted and char in "{[":
            depth += 1
        elif not quoted and char in "}]":
            depth -= 1
        elif not quoted and depth == 0 and char == "#":
            return text[:index].strip(), text[index + 1 :].strip()
    return text.strip(), ""


def unquote(value):
    return value.strip().strip('"')


def key_path(section, fields, key):
    if section == "actors":
        return f"actors.{unquote(fields.get('id', '?'))}.{key}"
    if section == "ties":
        return "ties.{}.{}.{}.{}".format(
            unquote(fields.get("from", "?")),
            unquote(fields.get("to", "?")),
            unquote(fields.get("channel", "?")),
            key,
        )
    if section == "events":
        return f"events.{unquote(fields.get('id', '?'))}.{key}"
    if section == "rules":
        return f"rules.{unquote(fields.get('rule', '?'))}.{key}"
    return f"{section}.{key}"


def judged(path):
    rows = []
    section, fields, pending = None, {}, []
    with open(path, encoding="utf-8") as file:
        lines = file.read().splitlines()
    for line in lines + ["[[end]]"]:
        header = HEADER.match(line.strip())
        if header or line.strip() == "[[end]]" or line.startswith("[scenario]"):
            rows.extend(
                (key_path(section, fields, key), value, why) for key, value, why in pending
            )
            section = header.group(1) if header else None
            fields, pending = {}, []
            continue
        match = ASSIGNMENT.match(line)
        if not match or section in (None, "outcomes"):
            continue
        key, rest = match.groups()
        value, comment = split_comment(rest)
        fields[key] = value
        if "judgement" in comment and key not in ("id", "from", "to", "channel", "rule"):
            why = comment.split("judgement", 1)[1].lstrip(":, ")
            pending.append((key, value, why or comment))
    return rows


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: judged.py SCENARIO.toml")
    rows = judged(sys.argv[1])
    print(f"{len(rows)} judged values.\n")
    print("| key | value or range | why |\n|---|---|---|")
    for key, value, why in rows:
        cell = lambda text: text.replace("|", "\\|")
        print(f"| `{key}` | `{cell(value)}` | {cell(why)} |")


if __name__ == "__main__":
    main()
