#!/usr/bin/env python3
"""Copy the first records of a classic pcap, up to a size, cutting at a record boundary.

bench/run.sh uses it to give tshark a smaller input when asked (--tshark-mb). The output holds
the global header and every whole record that ends within --size-mb MB (10^6 bytes); it prints
the number of records and bytes written. Standard library only.

  bench/pcap_prefix.py IN OUT --size-mb 100
"""

import argparse
import struct
import sys

MAGICS = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">",  # microsecond
          b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\x3c\x4d": ">"}  # nanosecond
GLOBAL_HEADER_LEN = 24
RECORD_HEADER_LEN = 16


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--size-mb", type=float, required=True)
    args = parser.parse_args()
    limit = int(args.size_mb * 1_000_000)

    with open(args.input, "rb") as src:
        header = src.read(GLOBAL_HEADER_LEN)
        order = MAGICS.get(header[:4])
        if len(header) < GLOBAL_HEADER_LEN or order is None:
            sys.exit(f"{args.input}: not a classic pcap file")
        caplen_field = struct.Struct(order + "I")
        # Find the cut by walking the record headers, then copy that many bytes in one go.
        end = GLOBAL_HEADER_LEN
        records = 0
        while True:
            src.seek(end)
            record = src.read(RECORD_HEADER_LEN)
            if len(record) < RECORD_HEADER_LEN:
                break
            next_end = end + RECORD_HEADER_LEN + caplen_field.unpack_from(record, 8)[0]
            if next_end > limit:
                break
            end = next_end
            records += 1
        src.seek(0)
        with open(args.output, "wb") as dst:
            remaining = end
            while remaining:
                block = src.read(min(remaining, 8 << 20))
                if not block:
                    sys.exit(f"{args.input}: truncated record")
                dst.write(block)
                remaining -= len(block)
    print(f"{records} {end}")


if __name__ == "__main__":
    main()
