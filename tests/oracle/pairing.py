"""Pairing tshark's PDUs with rpctrace's, for the connection-oriented and the connectionless
comparisons alike: first within the frame that carried them, then (a PDU the two tools report
at different frames of the same flow: tshark at the segment that completed it, rpctrace at the
one that carried its last octets, or the other way round) across frames, nearest first."""

import collections


def pair_pdus(tpdus, rpdus, frame_key, prefer, cross_key):
    """Pair PDUs in the same frame whose frame_key(p) agrees, taking first a candidate for
    which prefer(t, r) holds; then the unpaired ones across frames on cross_key(p), the nearest
    frame first. Return (same-frame pairs, tshark-only, rpctrace-only, cross-frame pairs)."""
    by_frame = collections.defaultdict(list)
    for r in rpdus:
        by_frame[r["frame"]].append(r)
    used, pairs, t_left = set(), [], []
    for t in tpdus:
        cands = [r for r in by_frame.get(t["frame"], [])
                 if id(r) not in used and frame_key(r) == frame_key(t)]
        preferred = [r for r in cands if prefer(t, r)]
        best = (preferred or cands or [None])[0]
        if best is None:
            t_left.append(t)
        else:
            used.add(id(best))
            pairs.append((t, best))
    r_left = [r for r in rpdus if id(r) not in used]
    moved, t_only = [], []
    for t in t_left:
        cands = [r for r in r_left if cross_key(r) == cross_key(t)]
        if cands:
            r = min(cands, key=lambda r: abs(r["frame"] - t["frame"]))
            r_left.remove(r)
            moved.append((t, r))
        else:
            t_only.append(t)
    return pairs, t_only, r_left, moved
