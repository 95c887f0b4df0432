#!/usr/bin/env python3
"""The sources are written in English, so the English catalogue repeats them. This fills every unfinished entry of
translations/aether-console_en.ts with its source text; plural entries get a singular and a plural form made from
the "(s)" in the source ("%n key(s)" -> "%n key" / "%n keys"). Run after `cmake --build build --target
update_translations`."""
import pathlib
import re
import sys
import xml.etree.ElementTree as ET

path = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else
                    pathlib.Path(__file__).resolve().parent.parent / 'translations' / 'aether-console_en.ts')
tree = ET.parse(path)
filled = 0
for message in tree.getroot().iter('message'):
    source = message.findtext('source')
    translation = message.find('translation')
    if translation is None or translation.get('type') != 'unfinished':
        continue
    del translation.attrib['type']
    if message.get('numerus') == 'yes':
        forms = translation.findall('numerusform')
        singular = re.sub(r'\(s\)', '', source)
        plural = source.replace('(s)', 's')
        for form, text in zip(forms, [singular, plural]):
            form.text = text
    else:
        translation.text = source
    filled += 1
ET.indent(tree, space='    ')
with open(path, 'w', encoding='utf-8') as out:
    out.write('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n')
    tree.write(out, encoding='unicode')
    out.write('\n')
print(f'{path.name}: {filled} entries filled')
