#!/usr/bin/env python3
"""Writes lib/protocol/command_schema_table.inc from Apple's MDM command schema.

Usage (from anywhere): tools/gen_command_schema.py [COMMANDS_DIR]
COMMANDS_DIR is apple-device-management's mdm/commands; the default,
../shared/apple-device-management/mdm/commands, is taken from the repo root. The output is
checked in, so building never needs the schema.
"""

import os
import re
import sys

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DIR = '../shared/apple-device-management/mdm/commands'
OUT = os.path.join(REPO, 'lib', 'protocol', 'command_schema_table.inc')

TYPES = {
    '<string>': 'kString', '<integer>': 'kInteger', '<boolean>': 'kBoolean', '<real>': 'kReal',
    '<data>': 'kData', '<date>': 'kDate', '<array>': 'kArray', '<dictionary>': 'kDictionary',
    '<any>': 'kAny',
}


def fail(where, why):
    sys.exit(f'gen_command_schema: {where}: {why}')


def literal(text):
    if not re.fullmatch(r'[ -~]*', text):
        fail(text, 'not printable ASCII')
    return '"' + text.replace('\\', '\\\\').replace('"', '\\"') + '"'


def channels(supported_os):
    """(device, user): whether any OS takes the command on that channel.

    An OS entry without devicechannel/userchannel is a device with only the device channel (iOS,
    tvOS, watchOS, visionOS). The sharedipad/userenrollment variants may add a channel (Shared
    iPad's user channel) but do not take away the plain device's.
    """
    device = user = False
    for entry in supported_os.values():
        if not entry or entry.get('introduced') == 'n/a':
            continue
        device |= entry.get('devicechannel', True)
        user |= entry.get('userchannel', False)
        for variant in ('sharedipad', 'userenrollment'):
            v = entry.get(variant) or {}
            device |= v.get('devicechannel', False)
            user |= v.get('userchannel', False)
    return device, user


class Writer:
    """Collects the arrays a command's specs refer to, innermost first."""

    def __init__(self):
        self.defs = []
        self.names = set()

    def array(self, name, ctype, items):
        name = 'k' + re.sub(r'[^A-Za-z0-9]', '_', name)
        if name in self.names:
            fail(name, 'generated the same array name twice')
        self.names.add(name)
        body = ''.join(f'    {item},\n' for item in items)
        self.defs.append(f'constexpr {ctype} {name}[] = {{\n{body}}};\n')
        return name

    def key(self, k, path):
        """The KeySpec initializer of payload key `k` found at `path` (for names and errors)."""
        name = k.get('key')
        if not name or k.get('type') not in TYPES:
            fail(path, f'key {name!r} has unknown type {k.get("type")!r}')
        path = f'{path}_{name}'
        vtype = TYPES[k['type']]
        fields = [f'.name = {literal(name)}', f'.type = ValueType::{vtype}']
        if k.get('presence') == 'required':
            fields.append('.required = true')
        subkeys = k.get('subkeys') or []
        # Free-form dictionaries (app configuration, manifests) list one placeholder key "ANY".
        subkeys = [s for s in subkeys if s.get('type') != '<any>' or s.get('key') != 'ANY']
        if vtype == 'kArray':
            if len(subkeys) > 1:
                check_item_variants(subkeys, path)
        elif vtype != 'kDictionary':
            # DeviceInformation's QueriesItem string lists the query names as subkeys; Apple adds
            # queries every release, so they are documentation, not a closed set.
            subkeys = []
        if subkeys:
            specs = [self.key(s, path) for s in subkeys]
            fields.append('.subkeys = ' + self.array(path, 'KeySpec', specs))
        if 'rangelist' in k:
            if vtype not in ('kString', 'kInteger'):
                fail(path, f'rangelist on {k["type"]}')
            if any(isinstance(v, bool) for v in k['rangelist']):
                fail(path, 'boolean in rangelist')
            values = [literal(str(v)) for v in k['rangelist']]
            fields.append('.allowed = ' + self.array(path + '_Allowed', 'std::string_view', values))
        return '{' + ', '.join(fields) + '}'


def check_item_variants(subkeys, path):
    """An array with several subkeys (Settings) holds dictionaries told apart by their "Item"
    value, each variant named after it; the validator relies on that."""
    for s in subkeys:
        item = next((i for i in s.get('subkeys') or [] if i.get('key') == 'Item'), {})
        if s.get('type') != '<dictionary>' or item.get('rangelist') != [s.get('key')]:
            fail(path, f'array variant {s.get("key")!r} is not a dictionary named by its Item')


def load(directory):
    commands = {}
    for file in sorted(os.listdir(directory)):
        if not file.endswith('.yaml'):
            continue
        with open(os.path.join(directory, file), encoding='utf-8') as f:
            doc = yaml.safe_load(f)
        payload = doc.get('payload') or {}
        request_type = payload.get('requesttype')
        if not request_type:
            fail(file, 'no payload.requesttype')
        if request_type in commands:
            fail(file, f'{request_type} defined twice')
        commands[request_type] = (payload.get('supportedOS') or {}, doc.get('payloadkeys') or [])
    if not commands:
        fail(directory, 'no command YAML files')
    return commands


def release(directory):
    """The OS versions the schema's README says this release matches, e.g. "iOS 18.1, ..."."""
    try:
        with open(os.path.join(directory, '..', '..', 'README.md'), encoding='utf-8') as f:
            rows = re.findall(r'^\|\s*(\w+OS)\s*\|\s*([\d.]+)\s*\|', f.read(), re.M)
    except OSError:
        return 'unknown release'
    return ', '.join(f'{os_name} {version}' for os_name, version in rows) or 'unknown release'


def generate(directory):
    w = Writer()
    rows = []
    for request_type, (supported_os, keys) in sorted(load(directory).items()):
        device, user = channels(supported_os)
        fields = [f'.request_type = {literal(request_type)}',
                  f'.device_channel = {str(device).lower()}', f'.user_channel = {str(user).lower()}']
        if keys:
            specs = [w.key(k, request_type) for k in keys]
            fields.append('.keys = ' + w.array(request_type, 'KeySpec', specs))
        rows.append('{' + ', '.join(fields) + '}')
    return ('// Generated by tools/gen_command_schema.py from Apple\'s device-management schema\n'
            '// (github.com/apple/device-management, mdm/commands/*.yaml; release for\n'
            f'// {release(directory)}). Do not edit; regenerate:\n'
            '//   python3 tools/gen_command_schema.py [path/to/device-management/mdm/commands]\n'
            f'// (the path defaults to {DEFAULT_DIR}, from the repo root).\n'
            '// Included by command_schema.cpp inside its namespace.\n'
            '// clang-format off\n\n'
            + '\n'.join(w.defs) + '\n'
            + 'constexpr CommandSpec kCommands[] = {\n'
            + ''.join(f'    {row},\n' for row in rows) + '};\n')


def main():
    if len(sys.argv) > 2:
        sys.exit(__doc__)
    directory = sys.argv[1] if len(sys.argv) == 2 else os.path.join(REPO, DEFAULT_DIR)
    text = generate(directory)
    with open(OUT, 'w', encoding='utf-8') as f:
        f.write(text)
    print(f'wrote {os.path.relpath(OUT, REPO)}', file=sys.stderr)


if __name__ == '__main__':
    main()
