// liburing for the reactor's io_uring backend, behind the few calls it needs: liburing's SQE
// preparation and CQE walking are static inline functions Swift cannot import, and
// `struct io_uring` is better kept out of Swift altogether.
#ifndef CURING_H
#define CURING_H
#include <stdint.h>

typedef struct cs_uring cs_uring;

// One completion, copied out of the CQ ring.
typedef struct {
    uint64_t data;   // the submission's user_data
    int32_t res;     // poll: the ready mask (POLL* bits, equal to EPOLL* on Linux); < 0: -errno
    uint32_t flags;
} cs_completion;

// The setup the loops use: 0, or -errno from io_uring_setup (-ENOSYS: no io_uring, -EPERM:
// io_uring_disabled or seccomp), or -EOPNOTSUPP when the kernel lacks what the backend relies on
// (IORING_FEAT_EXT_ARG: the wait's timeout passed to io_uring_enter; IORING_OP_POLL_ADD).
// register_ring: also register the ring's fd (io_uring_register_ring_fd), where the kernel takes it.
int cs_uring_open(cs_uring **out, int register_ring);
void cs_uring_close(cs_uring *u);
// The setup flags the ring got (the optional ones are dropped on an older kernel).
unsigned cs_uring_setup_flags(const cs_uring *u);
// 1 when the ring's fd is registered with the kernel (io_uring_register_ring_fd), else 0.
int cs_uring_ring_fd_registered(const cs_uring *u);

// Queue a one-shot IORING_OP_POLL_ADD for `mask`, or the removal of the poll tagged `target`
// (its own completion carries `data`). A full SQ ring is submitted first. 0, or -errno.
int cs_uring_poll_add(cs_uring *u, int fd, uint32_t mask, uint64_t data);
int cs_uring_poll_remove(cs_uring *u, uint64_t target, uint64_t data);

// Queue an IORING_OP_SEND of len bytes at buf (MSG_NOSIGNAL | MSG_DONTWAIT: a full socket
// completes with -EAGAIN). buf must stay valid until the completion. 0, or -errno.
int cs_uring_send(cs_uring *u, int fd, const void *buf, uint32_t len, uint64_t data);

// Submits what is queued, without waiting. The number submitted, or -errno.
int cs_uring_submit(cs_uring *u);

// Submits what is queued and waits up to timeout_ms (0: not at all) for a completion, in one
// io_uring_enter; then copies at most `max` completions to `out`. Returns their count, or
// -errno (a timeout or a signal is 0 completions, not an error).
int cs_uring_enter(cs_uring *u, cs_completion *out, int max, int timeout_ms);

#endif
