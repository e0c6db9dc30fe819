"""Fill Bangla translations into translations/bn/LC_MESSAGES/messages.po from a plain table.

Usage: .venv/bin/python scripts/translate_bn.py scripts/bn_strings.tsv
Each line of the table is `English<TAB>Bangla`. Only empty msgstr entries are filled; existing
translations are kept. Print what is still untranslated.
"""
import sys

from babel.messages.pofile import read_po, write_po

PO = "translations/bn/LC_MESSAGES/messages.po"


def main(table_path: str) -> None:
    table = {}
    for line in open(table_path, encoding="utf-8"):
        if "\t" in line:
            en, bn = line.rstrip("\n").split("\t", 1)
            table[en] = bn
    with open(PO, "rb") as fh:
        catalog = read_po(fh, locale="bn")
    missing = []
    for message in catalog:
        if not message.id:
            continue
        if not message.string and message.id in table:
            message.string = table[message.id]
        if not message.string:
            missing.append(message.id)
    with open(PO, "wb") as fh:
        write_po(fh, catalog, width=100)
    for m in missing:
        print("untranslated:", m)


if __name__ == "__main__":
    main(sys.argv[1])
