"""Imports a Python fixture module by path, calls every entry of its ``SAMPLES`` list
(``(label, callable, args)``) and prints the outcomes as JSON, one line.

Used by ``py_fixes_keep_behaviour.rs`` to compare a fixture before and after heap-audit's
fixes. Outcomes describe values structurally, so an instance with ``__slots__`` and one with
a ``__dict__`` holding the same attributes describe the same, and floats are rounded to 9
places (``math.sqrt`` and ``** 0.5`` may differ in the last bit).
"""
import importlib.util
import json
import sys
import types

sys.dont_write_bytecode = True


def slot_names(cls):
    for klass in cls.__mro__:
        slots = klass.__dict__.get("__slots__", ())
        if isinstance(slots, str):
            slots = (slots,)
        for name in slots:
            if name in ("__dict__", "__weakref__"):
                continue
            if name.startswith("__") and not name.endswith("__"):
                name = "_" + klass.__name__.lstrip("_") + name
            yield name


def describe(value, depth=0):
    if depth > 6:
        return "..."
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, complex):
        return ["complex", round(value.real, 9), round(value.imag, 9)]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return [type(value).__name__, bytes(value).hex()]
    if isinstance(value, (list, tuple)):
        return [type(value).__name__, [describe(v, depth + 1) for v in value]]
    if isinstance(value, (set, frozenset)):
        return [type(value).__name__, sorted(json.dumps(describe(v, depth + 1)) for v in value)]
    if isinstance(value, dict):
        return ["dict", [[describe(k, depth + 1), describe(v, depth + 1)] for k, v in value.items()]]
    if isinstance(value, (types.GeneratorType, map, filter, zip)):
        return ["iterator", [describe(v, depth + 1) for v in value]]
    attrs = {}
    for name in slot_names(type(value)):
        if hasattr(value, name):
            attrs[name] = getattr(value, name)
    if hasattr(value, "__dict__") and not isinstance(value, type):
        attrs.update(vars(value))
    return ["object", type(value).__name__, {k: describe(v, depth + 1) for k, v in sorted(attrs.items())}]


def main(path):
    spec = importlib.util.spec_from_file_location("heap_audit_fixture", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    outcomes = []
    for label, func, args in module.SAMPLES:
        try:
            outcomes.append([label, "returns", describe(func(*args))])
        except Exception as exc:  # the exception's type is part of the behaviour
            outcomes.append([label, "raises", type(exc).__name__])
    print(json.dumps(outcomes, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1])
