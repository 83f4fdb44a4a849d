// The few kernel interfaces Swift cannot import cleanly: epoll_event is packed on x86_64,
// the EPOLL* and SOCK_* flags are macros or enums of odd types, and accept4/eventfd flags.
#ifndef CSYSTEM_H
#define CSYSTEM_H
#include <stdint.h>
#include <signal.h>

// Unpacked copy of epoll_event, so Swift sees a plain struct with a plain layout.
typedef struct {
    uint32_t events;
    uint64_t data;
} cs_event;

extern const uint32_t CS_EPOLLIN, CS_EPOLLOUT, CS_EPOLLRDHUP, CS_EPOLLERR, CS_EPOLLHUP;

int cs_epoll_create(void);
int cs_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data);
// Waits like epoll_wait and unpacks at most `max` (<= 1024) events into `out`.
int cs_epoll_wait(int epfd, cs_event *out, int max, int timeout_ms);
extern const int CS_EPOLL_CTL_ADD, CS_EPOLL_CTL_MOD, CS_EPOLL_CTL_DEL;

int cs_accept(int fd);        // accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC
int cs_socket_tcp(int family); // non-blocking, close-on-exec stream socket
int cs_eventfd(void);         // non-blocking, close-on-exec, counter 0

// Blocks SIGINT/SIGTERM/SIGPIPE in the calling thread (threads created later inherit the mask),
// so shutdown signals are taken synchronously by cs_wait_shutdown_signal.
void cs_block_signals(void);
// Waits up to timeout_ms for SIGINT or SIGTERM; returns the signal, or 0 on timeout.
int cs_wait_shutdown_signal(int timeout_ms);

// Names the calling thread (visible in top -H and perf), at most 15 bytes.
void cs_set_thread_name(const char *name);

// sched_getaffinity and CPU_COUNT need _GNU_SOURCE: the CPUs the calling thread may run on,
// or -1. cs_pin_thread_to_cpu restricts the calling thread to one CPU (0 or -1, as the call).
int cs_affinity_cpu_count(void);
int cs_pin_thread_to_cpu(int cpu);

#endif
