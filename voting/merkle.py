"""The ledger's Merkle tree exactly as RFC 9162 (Certificate Transparency 2.0) §2.1 has it,
so that any CT-style tool can check what the server publishes.

    leaf hash  = SHA-256(0x00 || leaf bytes)
    node hash  = SHA-256(0x01 || left || right)
    MTH(D[n])  = the two halves split at k, the largest power of two smaller than n

Standard library only (`voting.verify` and `voting.watch` import it, and they must run
anywhere). The server never rebuilds a tree to answer: it keeps the hash of every complete
power-of-two subtree ("perfect node": `(level, index)` covers leaves `index * 2**level` to
`(index + 1) * 2**level`), and every range the RFC's proofs need is the fold of at most
log2(n) of them. So a proof is computed from O(log² n) stored hashes, read in one query.
The proof *shapes* (`inclusion_ranges`, `consistency_ranges`) do not depend on any hash,
which is what lets the server know which rows to read before it reads them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
# MTH({}) = SHA-256 of the empty string (RFC 9162 §2.1.1).
EMPTY_ROOT = hashlib.sha256(b"").digest()

Node = tuple[int, int]  # (level, index) of a perfect subtree
Range = tuple[int, int]  # leaves [start, end)


def hash_leaf(data: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def split_point(n: int) -> int:
    """k: the largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


# --- the shapes of proofs -------------------------------------------------------------------


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The leaf ranges whose hashes make PATH(index, D[size]) (RFC 9162 §2.1.3.1), in order."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    ranges: list[Range] = []
    start, end = 0, size
    while end - start > 1:  # PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) or the mirror
        k = split_point(end - start)
        if index - start < k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()  # the recursion appends from the leaf upwards
    return ranges


def consistency_ranges(first: int, second: int) -> list[Range]:
    """The leaf ranges whose hashes make PROOF(first, D[second]) (RFC 9162 §2.1.4.1)."""
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from {first} to {second}")
    ranges: list[Range] = []
    m, start, end, whole = first, 0, second, True
    while True:  # SUBPROOF(m, D[start:end], whole)
        n = end - start
        if m == n:
            if not whole:
                ranges.append((start, end))
            break
        k = split_point(n)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            m, start, whole = m - k, start + k, False
    ranges.reverse()
    return ranges


def perfect_nodes(start: int, end: int) -> list[Node]:
    """The perfect subtrees that make up leaves [start, end), left to right, largest first.

    Every range of the RFC's recursion starts at a multiple of a power of two at least as
    large as itself, so its MTH is the right fold of these (`fold`)."""
    nodes: list[Node] = []
    while start < end:
        level = (end - start).bit_length() - 1
        while start % (1 << level):
            level -= 1
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """MTH of a range from its perfect subtrees (largest first): join them right to left."""
    digest = hashes[-1]
    for left in reversed(hashes[:-1]):
        digest = hash_children(left, digest)
    return digest


def nodes_for(ranges: Iterable[Range]) -> set[Node]:
    """Every stored node that these ranges need."""
    return {node for start, end in ranges for node in perfect_nodes(start, end)}


def range_hashes(ranges: Iterable[Range], nodes: Mapping[Node, bytes]) -> list[bytes]:
    """The MTH of each range, from the perfect nodes (`nodes_for` says which)."""
    return [fold([nodes[node] for node in perfect_nodes(s, e)]) for s, e in ranges]


def root_nodes(size: int) -> list[Node]:
    """The perfect nodes whose fold is the root of a tree of `size` leaves."""
    return perfect_nodes(0, size)


# --- building ---------------------------------------------------------------------------------


def new_nodes(
    old_size: int, leaf_hashes: Sequence[bytes], frontier: Mapping[Node, bytes]
) -> dict[Node, bytes]:
    """The perfect nodes completed by appending `leaf_hashes` to a tree of `old_size`.

    `frontier` holds the old tree's `root_nodes(old_size)`: the only old hashes a new node
    can need. Level 0 is the leaves themselves."""
    size = old_size + len(leaf_hashes)
    made: dict[Node, bytes] = {(0, old_size + i): h for i, h in enumerate(leaf_hashes)}
    known = {**frontier, **made}
    level = 1
    while (1 << level) <= size:
        for index in range(old_size >> level, size >> level):
            digest = hash_children(known[(level - 1, 2 * index)], known[(level - 1, 2 * index + 1)])
            made[(level, index)] = known[(level, index)] = digest
        level += 1
    return made


class MemoryTree:
    """A whole tree in memory, with every perfect node: for the verify script and tests."""

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self.size = 0
        self.nodes: dict[Node, bytes] = {}
        self.append(list(leaf_hashes))

    def append(self, leaf_hashes: Sequence[bytes]) -> None:
        frontier = {node: self.nodes[node] for node in root_nodes(self.size)}
        self.nodes.update(new_nodes(self.size, leaf_hashes, frontier))
        self.size += len(leaf_hashes)

    def root(self, size: int | None = None) -> bytes:
        size = self.size if size is None else size
        if size == 0:
            return EMPTY_ROOT
        return fold([self.nodes[node] for node in root_nodes(size)])

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        size = self.size if size is None else size
        return range_hashes(inclusion_ranges(index, size), self.nodes)

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        second = self.size if second is None else second
        return range_hashes(consistency_ranges(first, second), self.nodes)


# --- checking (RFC 9162 §2.1.3.2 and §2.1.4.2, step by step) ----------------------------------


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether `proof` shows the leaf hash `leaf` at `index` in the tree of `size` and `root`."""
    if index >= size or index < 0:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = hash_children(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = hash_children(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether `proof` shows the tree (`second`, `second_root`) extends (`first`, `first_root`).

    The trivial cases the RFC's algorithm leaves out are settled first, as the CT tools do: an
    empty old tree is a prefix of any tree, and a tree is consistent with itself only if the
    roots are equal; both take an empty proof."""
    if first < 0 or second < first:
        return False
    if first == 0:
        return not proof and first_root == EMPTY_ROOT
    if first == second:
        return not proof and first_root == second_root
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # an exact power of two: the old root is a node of the new tree
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = hash_children(c, fr)
            sr = hash_children(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = hash_children(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_root and sr == second_root and sn == 0


def hexes(digests: Iterable[bytes]) -> list[str]:
    return [d.hex() for d in digests]


def unhex(values: Iterable[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]
