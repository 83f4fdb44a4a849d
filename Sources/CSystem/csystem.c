#define _GNU_SOURCE
#include "csystem.h"
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <errno.h>
#include <sched.h>
#include <time.h>

const uint32_t CS_EPOLLIN = EPOLLIN, CS_EPOLLOUT = EPOLLOUT, CS_EPOLLRDHUP = EPOLLRDHUP,
               CS_EPOLLERR = EPOLLERR, CS_EPOLLHUP = EPOLLHUP;
const int CS_EPOLL_CTL_ADD = EPOLL_CTL_ADD, CS_EPOLL_CTL_MOD = EPOLL_CTL_MOD,
          CS_EPOLL_CTL_DEL = EPOLL_CTL_DEL;

int cs_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int cs_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev = { .events = events, .data = { .u64 = data } };
    return epoll_ctl(epfd, op, fd, &ev);
}

int cs_epoll_wait(int epfd, cs_event *out, int max, int timeout_ms) {
    struct epoll_event evs[1024];
    if (max > 1024) max = 1024;
    int n = epoll_wait(epfd, evs, max, timeout_ms);
    for (int i = 0; i < n; i++) {
        out[i].events = evs[i].events;
        out[i].data = evs[i].data.u64;
    }
    return n;
}

int cs_accept(int fd) { return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC); }

int cs_socket_tcp(int family) {
    return socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

int cs_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

static void shutdown_set(sigset_t *set) {
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
}

void cs_block_signals(void) {
    sigset_t set;
    shutdown_set(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

int cs_wait_shutdown_signal(int timeout_ms) {
    sigset_t set;
    shutdown_set(&set);
    struct timespec ts = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L };
    int sig = sigtimedwait(&set, NULL, &ts);
    return sig < 0 ? 0 : sig;
}

#include <pthread.h>
void cs_set_thread_name(const char *name) { pthread_setname_np(pthread_self(), name); }

int cs_affinity_cpu_count(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
    return CPU_COUNT(&set);
}

int cs_pin_thread_to_cpu(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set);
}
