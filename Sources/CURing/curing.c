#include "curing.h"
#include <liburing.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct cs_uring {
    struct io_uring ring;
    unsigned flags;
    int registered;   // the ring fd is registered (io_uring_register_ring_fd)
};

static int setup(struct io_uring *ring, unsigned flags) {
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    // Twice the SQ: a busy iteration re-arms a poll per event and its completions must fit.
    p.flags = flags | IORING_SETUP_CQSIZE;
    p.cq_entries = 8192;
    int rc = io_uring_queue_init_params(4096, ring, &p);
    if (rc == 0 && !(p.features & IORING_FEAT_EXT_ARG)) {
        io_uring_queue_exit(ring);
        return -EOPNOTSUPP;
    }
    return rc;
}

int cs_uring_open(cs_uring **out, int register_ring) {
    cs_uring *u = calloc(1, sizeof *u);
    if (!u) return -ENOMEM;
    // COOP_TASKRUN (5.19): completions are posted when the loop enters the kernel anyway, not
    // by interrupting it; TASKRUN_FLAG tells liburing when that work is pending.
    unsigned flags = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SUBMIT_ALL;
    int rc = setup(&u->ring, flags);
    if (rc == -EINVAL) rc = setup(&u->ring, flags = 0);
    if (rc == 0) {
        struct io_uring_probe *probe = io_uring_get_probe_ring(&u->ring);
        int poll = probe && io_uring_opcode_supported(probe, IORING_OP_POLL_ADD)
                         && io_uring_opcode_supported(probe, IORING_OP_POLL_REMOVE);
        if (probe) io_uring_free_probe(probe);
        if (!poll) {
            io_uring_queue_exit(&u->ring);
            rc = -EOPNOTSUPP;
        }
    }
    if (rc != 0) {
        free(u);
        return rc;
    }
    u->flags = flags;
    // 5.18: io_uring_enter takes an index into the task's registered rings instead of the fd,
    // sparing the fdget/fdput of every enter. Optional: refused (older kernel, EBUSY) is fine.
    u->registered = register_ring && io_uring_register_ring_fd(&u->ring) == 1;
    *out = u;
    return 0;
}

void cs_uring_close(cs_uring *u) {
    io_uring_queue_exit(&u->ring);
    free(u);
}

unsigned cs_uring_setup_flags(const cs_uring *u) { return u->flags; }

int cs_uring_ring_fd_registered(const cs_uring *u) { return u->registered; }

static struct io_uring_sqe *sqe(cs_uring *u) {
    struct io_uring_sqe *s = io_uring_get_sqe(&u->ring);
    if (s) return s;
    io_uring_submit(&u->ring);
    return io_uring_get_sqe(&u->ring);
}

int cs_uring_poll_add(cs_uring *u, int fd, uint32_t mask, uint64_t data) {
    struct io_uring_sqe *s = sqe(u);
    if (!s) return -EBUSY;
    io_uring_prep_poll_add(s, fd, mask);
    io_uring_sqe_set_data64(s, data);
    return 0;
}

int cs_uring_poll_remove(cs_uring *u, uint64_t target, uint64_t data) {
    struct io_uring_sqe *s = sqe(u);
    if (!s) return -EBUSY;
    io_uring_prep_poll_remove(s, target);
    io_uring_sqe_set_data64(s, data);
    return 0;
}

int cs_uring_send(cs_uring *u, int fd, const void *buf, uint32_t len, uint64_t data) {
    struct io_uring_sqe *s = sqe(u);
    if (!s) return -EBUSY;
    // MSG_DONTWAIT makes the kernel complete a send that would block with -EAGAIN instead of
    // parking it on an internal poll: a send is then done when its submission returns, so a
    // close right after the submission releases the socket, as after send(2).
    io_uring_prep_send(s, fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    io_uring_sqe_set_data64(s, data);
    return 0;
}

int cs_uring_submit(cs_uring *u) { return io_uring_submit(&u->ring); }

int cs_uring_enter(cs_uring *u, cs_completion *out, int max, int timeout_ms) {
    int rc;
    if (timeout_ms == 0) {
        rc = io_uring_submit_and_get_events(&u->ring);
    } else {
        struct io_uring_cqe *first;
        struct __kernel_timespec ts = { timeout_ms / 1000, (long long)(timeout_ms % 1000) * 1000000LL };
        rc = io_uring_submit_and_wait_timeout(&u->ring, &first, 1, timeout_ms < 0 ? NULL : &ts, NULL);
    }
    if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) return rc;
    struct io_uring_cqe *cqe;
    unsigned head;
    int n = 0;
    io_uring_for_each_cqe(&u->ring, head, cqe) {
        if (n == max) break;
        out[n].data = cqe->user_data;
        out[n].res = cqe->res;
        out[n].flags = cqe->flags;
        n++;
    }
    io_uring_cq_advance(&u->ring, (unsigned)n);
    return n;
}
