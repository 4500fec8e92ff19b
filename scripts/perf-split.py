#!/usr/bin/env python3
"""Where a loaded server's core goes, split the way the load report needs:
our own code, the kernel's send path, and the part of each send that on
loopback is really the *receiver's* work.

On loopback a `sendto` does not stop at the network device: the kernel
delivers the packet to the receiving socket right there, on the sender's
core (IP and TCP receive, the ACK, waking the reader's epoll). On a real
network that work happens on the viewers' machines. So the load report's
"CPU per frame per viewer" overstates what one server core would pay in
production by that share, and this measures it (README, "Where the load
stands").

    VIEWERS=10000 LIKERS=200 LIKE_INTERVAL_MS=200 SECONDS=20 NAIVE=0 FLOOR=0 scripts/load.sh &
    sleep 25   # past the viewers' connecting, inside the measured window
    perf record -F 999 -g -p "$(pgrep -f target/release/likewise)" -o /tmp/perf.data -- sleep 8
    perf script -i /tmp/perf.data | scripts/perf-split.py [--us-per-frame US --viewers N]

(`scripts/load.sh` does all of this itself when perf works.) Reads `perf
script`'s default output (a header line per sample, then one frame per
line, innermost first) on standard input. Given the run's server CPU per
frame per viewer and its viewers, it also says what each part costs per
frame per viewer and how many frames a second one core would give every
viewer without the receiver's share.
"""
import argparse
import re
import sys

# A sample is in the send path if a frame is the sendto system call …
SEND = {'__sys_sendto', '__x64_sys_sendto'}
# … and in the receiver's part of it if the loopback delivery is on its stack.
RECEIVE = {'process_backlog', '__netif_receive_skb_one_core', 'ip_local_deliver_finish', 'tcp_v4_rcv'}
WAKE = {'sock_def_readable'}
KERNEL_ENTRY = ('entry_SYSCALL', 'do_syscall', 'asm_', '__x64_sys')
FRAME = re.compile(r'\s+[0-9a-f]+ (\S+?)\+0x')


def samples(lines):
    """Each sample's frames (function names), innermost first."""
    frames = None
    for line in lines:
        if not line.strip():
            if frames is not None:
                yield frames
            frames = None
        elif not line[0].isspace():
            frames = []
        elif frames is not None:
            m = FRAME.match(line)
            if m:
                frames.append(m.group(1))
    if frames is not None:
        yield frames


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--us-per-frame', type=float, help="the load report's server CPU per frame per viewer (µs)")
    parser.add_argument('--viewers', type=int, help='the viewers of that run')
    opts = parser.parse_args()
    rows = {'in sendto': 0, 'receiver': 0, 'wake': 0, 'user': 0, 'other kernel': 0}
    n = 0
    for frames in samples(sys.stdin):
        n += 1
        names = set(frames)
        if names & SEND:
            rows['in sendto'] += 1
            rows['receiver'] += bool(names & RECEIVE)
            rows['wake'] += bool(names & WAKE)
        elif any(f.startswith(KERNEL_ENTRY) for f in frames):
            rows['other kernel'] += 1
        else:
            rows['user'] += 1
    if n == 0:
        sys.exit('perf-split.py: no samples on standard input (pipe `perf script` into it)')
    share = {k: 100 * v / n for k, v in rows.items()}
    print(f'{n} samples of the server')
    print(f'{share["in sendto"]:5.1f} %  inside sendto (one call per frame per viewer)')
    print(f'{share["receiver"]:5.1f} %    of which the receiver\'s side: loopback delivery, TCP receive and ACK, waking the reader')
    print(f'{share["wake"]:5.1f} %      of which waking the reader alone (sock_def_readable)')
    print(f'{share["in sendto"] - share["receiver"]:5.1f} %    of which the sender\'s own side')
    print(f'{share["other kernel"]:5.1f} %  other system calls (epoll, reads, timers)')
    print(f'{share["user"]:5.1f} %  user space: our code, tokio, tungstenite, the allocator')
    print(f'{100 - share["receiver"]:5.1f} %  all but the receiver\'s side: what a real network would leave on this core')
    if opts.us_per_frame and opts.viewers:
        us = opts.us_per_frame
        own = us * (100 - share['receiver']) / 100
        print()
        print(f'Per frame per viewer: {us:.1f} µs measured on loopback = '
              f'{us * share["user"] / 100:.1f} µs ours + {us * (share["in sendto"] - share["receiver"]) / 100:.1f} µs '
              f'the sender\'s kernel path + {us * share["receiver"] / 100:.1f} µs the receiver\'s '
              f'+ {us * share["other kernel"] / 100:.1f} µs other system calls.')
        print(f'Without the receiver\'s share: {own:.1f} µs, so one core could send {opts.viewers} viewers '
              f'{1e6 / (own * opts.viewers):.1f} frames a second (on loopback: {1e6 / (us * opts.viewers):.1f}); '
              f'10 frames a second need {10 * own * opts.viewers / 1e6:.2f} cores.')


if __name__ == '__main__':
    main()
