// The glibc stub resolver (libresolv) for TernDelivery's SystemResolver: the declarations
// Swift needs, plus small helpers for what the headers spell as macros or what reaches into
// `struct __res_state`.
#ifndef TERN_CRESOLV_H
#define TERN_CRESOLV_H

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>

// `res_ninit` and `res_nclose` are macros for `__res_ninit` and `__res_nclose`.
static inline int tern_res_ninit(res_state state) { return res_ninit(state); }
static inline void tern_res_nclose(res_state state) { res_nclose(state); }

// The h_errno value of the last query on this state (glibc keeps it per state as well).
static inline int tern_res_h_errno(const struct __res_state *state) { return state->res_h_errno; }

// Clears the name servers that res_ninit took from /etc/resolv.conf, so that
// tern_res_add_server can set others. res_ninit leaves IPv6 servers in malloc'd
// `_u._ext.nsaddrs` slots; they are freed here, and `_u._ext.nscount` is 0 so that res_send
// rebuilds its private copy of the list at the first query.
static inline void tern_res_clear_servers(res_state state) {
    for (int index = 0; index < MAXNS; index++) {
        free(state->_u._ext.nsaddrs[index]);
        state->_u._ext.nsaddrs[index] = NULL;
        state->_u._ext.nssocks[index] = -1;
    }
    state->nscount = 0;
    state->_u._ext.nscount = 0;
}

// Appends a name server: `family` AF_INET with a 4-byte or AF_INET6 with a 16-byte address in
// network order, `port` in host order. IPv4 goes into `nsaddr_list`; IPv6 the way res_ninit
// stores it from resolv.conf: `nsaddr_list[i].sin_family` 0 and a malloc'd sockaddr_in6 in
// `_u._ext.nsaddrs[i]`, which res_nclose frees. Returns 0, or -1 when MAXNS servers are set,
// the family is unknown or memory is short.
static inline int tern_res_add_server(res_state state, int family, const void *address, in_port_t port) {
    int index = state->nscount;
    if (index < 0 || index >= MAXNS) return -1;
    struct sockaddr_in *slot = &state->nsaddr_list[index];
    memset(slot, 0, sizeof *slot);
    if (family == AF_INET) {
        slot->sin_family = AF_INET;
        slot->sin_port = htons(port);
        memcpy(&slot->sin_addr, address, sizeof slot->sin_addr);
    } else if (family == AF_INET6) {
        struct sockaddr_in6 *server = calloc(1, sizeof *server);
        if (server == NULL) return -1;
        server->sin6_family = AF_INET6;
        server->sin6_port = htons(port);
        memcpy(&server->sin6_addr, address, sizeof server->sin6_addr);
        state->_u._ext.nsaddrs[index] = server;
    } else {
        return -1;
    }
    state->_u._ext.nssocks[index] = -1;
    state->nscount = index + 1;
    return 0;
}

// `ns_msg_count`, `ns_msg_base` and `ns_msg_end` are macros.
static inline int tern_ns_msg_count(const ns_msg *message, ns_sect section) {
    return ns_msg_count(*message, section);
}
static inline const unsigned char *tern_ns_msg_base(const ns_msg *message) { return ns_msg_base(*message); }
static inline const unsigned char *tern_ns_msg_end(const ns_msg *message) { return ns_msg_end(*message); }

#endif
