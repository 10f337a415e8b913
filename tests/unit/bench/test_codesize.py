"""`levstake.codesize` ties every runtime byte of a contract to the function that compiled into it: the rows
add up to the code's length, a longer body gets more bytes, and an imported module's function is named with
its module; the immutables deployment appends count too."""

from __future__ import annotations

from levstake import codesize

HELPER = '''# pragma version 0.4.3

@internal
@pure
def _tripled(x: uint256) -> uint256:
    return x * 3
'''

CONTRACT = '''# pragma version 0.4.3
import helper

@external
@pure
def small(x: uint256) -> uint256:
    return x + 1

@external
@pure
def large(x: uint256) -> uint256:
    assert x != 7, "large: seven is refused here"
    assert x != 8, "large: eight is refused here as well"
    y: uint256 = x * x + 3 * x + 5
    for i: uint256 in range(4):
        y = y * 31 + i
    return helper._tripled(y)
'''


def runtime_size(path) -> int:
    from vyper.cli import vyper_compile

    outputs = vyper_compile.compile_files([str(path)], ("bytecode_runtime",), paths=[str(path.parent)])
    (compiled,) = outputs.values()
    return len(bytes.fromhex(compiled["bytecode_runtime"].removeprefix("0x")))


def test_every_byte_is_tied_to_the_function_it_compiled_from(tmp_path):
    (tmp_path / "helper.vy").write_text(HELPER)
    (tmp_path / "Probe.vy").write_text(CONTRACT)
    found = codesize.runtime_bytes(tmp_path / "Probe.vy", [str(tmp_path)])
    assert sum(found.values()) == runtime_size(tmp_path / "Probe.vy")
    assert found["large"] > 2 * found["small"] > 0
    assert found["helper._tripled"] > 0
    assert list(found) == sorted(found, key=found.get, reverse=True)
    # The code ends in data (the compiler's metadata): no function's, not the last instruction's.
    assert found[codesize.UNMAPPED] > 0
    # Without `large` (and the helper only it calls) the code shrinks by about what was tied to them.
    (tmp_path / "Small.vy").write_text(CONTRACT[: CONTRACT.index("@external\n@pure\ndef large")])
    removed = runtime_size(tmp_path / "Probe.vy") - runtime_size(tmp_path / "Small.vy")
    tied = found["large"] + found["helper._tripled"]
    assert abs(removed - tied) <= tied // 10, (removed, tied)
    assert codesize.IMMUTABLES not in found


def test_immutables_count_as_deployment_appends_them(tmp_path):
    (tmp_path / "Kept.vy").write_text(
        "# pragma version 0.4.3\nOWNER: public(immutable(address))\nNAME: public(immutable(String[40]))\n\n"
        "@deploy\ndef __init__():\n    OWNER = msg.sender\n    NAME = 'kept'\n"
    )
    found = codesize.runtime_bytes(tmp_path / "Kept.vy", [str(tmp_path)])
    # An address word, then the string's length word and its 40 bytes in two words.
    assert found[codesize.IMMUTABLES] == 32 + 32 + 64
    assert sum(found.values()) == runtime_size(tmp_path / "Kept.vy") + 32 + 32 + 64
