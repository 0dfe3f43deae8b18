"""The ledger's tree is RFC 9162's: roots, inclusion and consistency proofs checked against
the RFC's definitions (written out naively here, independently of voting.merkle), the
certificate-transparency project's test vectors, and every (m, n) up to 64."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voting import merkle


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def naive_mth(entries: list[bytes]) -> bytes:
    """MTH(D[n]) as RFC 9162 §2.1.1 writes it."""
    n = len(entries)
    if n == 0:
        return sha(b"")
    if n == 1:
        return sha(b"\x00" + entries[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return sha(b"\x01" + naive_mth(entries[:k]) + naive_mth(entries[k:]))


def naive_path(m: int, entries: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) as RFC 9162 §2.1.3.1 writes it."""
    n = len(entries)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*naive_path(m, entries[:k]), naive_mth(entries[k:])]
    return [*naive_path(m - k, entries[k:]), naive_mth(entries[:k])]


def naive_subproof(m: int, entries: list[bytes], whole: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) as RFC 9162 §2.1.4.1 writes it."""
    n = len(entries)
    if m == n:
        return [] if whole else [naive_mth(entries)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*naive_subproof(m, entries[:k], whole), naive_mth(entries[k:])]
    return [*naive_subproof(m - k, entries[k:], False), naive_mth(entries[:k])]


def entries(n: int) -> list[bytes]:
    return [f"ballot {i}".encode() for i in range(n)]


def tree_of(data: list[bytes]) -> merkle.MemoryTree:
    return merkle.MemoryTree(merkle.hash_leaf(d) for d in data)


# The certificate-transparency project's vectors (merkle_tree_test.cc): 8 leaves, roots of
# each prefix.
CT_LEAVES = [
    bytes.fromhex(h)
    for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
              "606162636465666768696a6b6c6d6e6f")
]  # fmt: skip
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def test_roots_match_the_certificate_transparency_vectors():
    tree = tree_of(CT_LEAVES)
    assert tree.root(0).hex() == hashlib.sha256(b"").hexdigest()
    for size, root in enumerate(CT_ROOTS, start=1):
        assert tree.root(size).hex() == root
        assert naive_mth(CT_LEAVES[:size]).hex() == root


@pytest.mark.parametrize("n", range(1, 65))
def test_every_inclusion_proof_is_the_rfcs_path_and_verifies(n):
    data = entries(n)
    tree = tree_of(data)
    root = tree.root()
    assert root == naive_mth(data)
    for m in range(n):
        proof = tree.inclusion_proof(m)
        assert proof == naive_path(m, data)
        assert merkle.verify_inclusion(merkle.hash_leaf(data[m]), m, n, proof, root)


@pytest.mark.parametrize("n", range(1, 65))
def test_every_consistency_proof_is_the_rfcs_proof_and_verifies(n):
    data = entries(n)
    tree = tree_of(data)
    for m in range(1, n + 1):
        proof = tree.consistency_proof(m, n)
        assert proof == naive_subproof(m, data, True)
        assert merkle.verify_consistency(m, n, tree.root(m), tree.root(n), proof)


def test_a_tree_grown_in_batches_equals_the_tree_built_at_once():
    data = entries(100)
    grown = merkle.MemoryTree()
    for start, end in ((0, 1), (1, 7), (7, 8), (8, 33), (33, 64), (64, 100)):
        grown.append([merkle.hash_leaf(d) for d in data[start:end]])
        assert grown.root() == naive_mth(data[:end])
    assert grown.nodes == tree_of(data).nodes


@given(st.integers(1, 300), st.data())
def test_tampered_inclusion_proofs_fail(n, data):
    leaves = entries(n)
    tree = tree_of(leaves)
    m = data.draw(st.integers(0, n - 1))
    leaf, proof, root = merkle.hash_leaf(leaves[m]), tree.inclusion_proof(m), tree.root()
    assert merkle.verify_inclusion(leaf, m, n, proof, root)
    assert not merkle.verify_inclusion(sha(b"other"), m, n, proof, root)
    assert not merkle.verify_inclusion(leaf, m, n, proof, sha(b"other root"))
    assert not merkle.verify_inclusion(leaf, m, n, [*proof, root], root)
    assert not merkle.verify_inclusion(leaf, n, n, proof, root)
    if n > 1:
        assert not merkle.verify_inclusion(leaf, (m + 1) % n, n, proof, root)
        i = data.draw(st.integers(0, len(proof) - 1))
        bad = [*proof]
        bad[i] = sha(bad[i])
        assert not merkle.verify_inclusion(leaf, m, n, bad, root)
        assert not merkle.verify_inclusion(leaf, m, n, proof[:-1], root)


@given(st.integers(2, 300), st.data())
def test_tampered_consistency_proofs_fail(n, data):
    tree = tree_of(entries(n))
    m = data.draw(st.integers(1, n - 1))
    proof, old, new = tree.consistency_proof(m, n), tree.root(m), tree.root(n)
    assert merkle.verify_consistency(m, n, old, new, proof)
    i = data.draw(st.integers(0, len(proof) - 1))
    bad = [*proof]
    bad[i] = sha(bad[i])
    assert not merkle.verify_consistency(m, n, old, new, bad)
    assert not merkle.verify_consistency(m, n, old, new, proof[:-1])
    assert not merkle.verify_consistency(m, n, old, new, [])
    assert not merkle.verify_consistency(m, n, sha(b"rewritten"), new, proof)
    assert not merkle.verify_consistency(m, n, old, sha(b"rewritten"), proof)
    # A history that rewrote a leaf the old tree held is not an extension of it.
    rewritten = entries(n)
    rewritten[data.draw(st.integers(0, m - 1))] = b"changed"
    other = tree_of(rewritten)
    assert not merkle.verify_consistency(m, n, old, other.root(), other.consistency_proof(m, n))


def test_trivial_consistency_cases():
    tree = tree_of(entries(5))
    assert merkle.verify_consistency(5, 5, tree.root(), tree.root(), [])
    assert not merkle.verify_consistency(5, 5, tree.root(), tree.root(4), [])
    assert merkle.verify_consistency(0, 5, merkle.EMPTY_ROOT, tree.root(), [])
    assert not merkle.verify_consistency(6, 5, tree.root(), tree.root(), [])
    with pytest.raises(ValueError, match="no consistency proof"):
        merkle.consistency_ranges(0, 5)
    with pytest.raises(ValueError, match="not in a tree"):
        merkle.inclusion_ranges(5, 5)


def test_a_proof_needs_only_a_logarithmic_number_of_stored_nodes():
    size = 1_000_000
    for index in (0, 1, 524_287, 524_288, 999_999):
        assert len(merkle.nodes_for(merkle.inclusion_ranges(index, size))) <= 20 * 20
    assert len(merkle.nodes_for(merkle.consistency_ranges(999_999, size))) <= 20 * 20
