/*
 * Two XMPP clients open an XTLS tunnel through an in-process "server"
 * (this loop moves each stanza to the other endpoint, as a server would)
 * and exchange an encrypted message.
 *
 *   cc tunnel.c $(pkg-config --cflags --libs xmpptls) -o tunnel && ./tunnel
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xmpptls.h>

static void die(const char *what, xmpptls_result r) {
  char msg[256];
  size_t n;
  xmpptls_result_message(r, msg, sizeof msg, &n);
  fprintf(stderr, "%s: %s (%u)\n", what, msg, r);
  exit(1);
}

static int keepalives;

/* What a host does with its XMPP stream: every stanza `from` queued goes to
 * the server (here straight to `to`); after handling a read, `to` writes
 * what it queued and, when it handled XTLS stanzas but had nothing to
 * answer, one space: a whitespace keepalive (RFC 6120 §4.6.1). Without it a
 * server with Nagle's algorithm on (Prosody's default) holds its next write
 * to this client for the kernel's delayed ACK, ~40 ms per exchange. */
static int route(xmpptls_endpoint *from, xmpptls_endpoint *to, uint64_t now) {
  int moved = 0;
  size_t len, written;
  while (xmpptls_endpoint_transmit_len(from, &len) == XMPPTLS_OK) {
    char *stanza = malloc(len + 1);
    xmpptls_result r = xmpptls_endpoint_poll_transmit(from, stanza, len + 1, &written);
    if (r != XMPPTLS_OK) die("poll_transmit", r);
    int handled;
    r = xmpptls_endpoint_handle_incoming(to, stanza, written, now, &handled);
    if (r != XMPPTLS_OK) die("handle_incoming", r);
    free(stanza);
    moved++;
  }
  int keepalive = 0;
  if (moved > 0 && xmpptls_endpoint_transmit_len(to, &len) == XMPPTLS_EMPTY &&
      xmpptls_endpoint_poll_keepalive(to, &keepalive) == XMPPTLS_OK && keepalive) {
    keepalives++; /* a real host writes " " to its stream here */
  }
  return moved;
}

/* A host's timer: wake the endpoint at its deadline (an answer that never
 * came closes the tunnel and hands back what the peer did not confirm). */
static void timers(xmpptls_endpoint *ep, uint64_t now) {
  uint64_t deadline;
  if (xmpptls_endpoint_poll_timeout(ep, &deadline) == XMPPTLS_OK && deadline <= now) {
    xmpptls_endpoint_handle_timeout(ep, now);
  }
}

static void show_events(const char *who, xmpptls_endpoint *ep) {
  xmpptls_event *ev;
  xmpptls_event_fields v;
  while (xmpptls_endpoint_poll_event(ep, &ev) == XMPPTLS_OK) {
    if (xmpptls_event_view(ev, &v) != XMPPTLS_OK) die("event", XMPPTLS_NULL_PARAMETER);
    const char *peer = v.peer, *text = v.text;
    switch (v.kind) {
      case XMPPTLS_EVENT_ESTABLISHED: printf("%s: tunnel with %s established\n  report: %s\n", who, peer, text); break;
      case XMPPTLS_EVENT_STANZA: printf("%s: from %s: %s\n", who, peer, text); break;
      case XMPPTLS_EVENT_CLOSED:
        printf("%s: tunnel with %s: %s\n", who, peer, text);
        /* Stanzas the peer never acknowledged come back: resend or report. */
        for (size_t i = 0; i < v.returned_count; i++) {
          const char *s;
          size_t n;
          int maybe_delivered;
          if (xmpptls_event_returned(ev, i, &s, &n, &maybe_delivered) == XMPPTLS_OK)
            printf("  not confirmed%s: %.*s\n", maybe_delivered ? " (may have arrived)" : "", (int)n, s);
        }
        break;
      default: printf("%s: %s: %s\n", who, peer, text);
    }
    xmpptls_event_free(ev);
  }
}

int main(void) {
  const char *romeo_jid = "romeo@montague.lit/orchard", *juliet_jid = "juliet@capulet.lit/balcony";
  uint64_t now = (uint64_t)time(NULL);
  xmpptls_endpoint *romeo, *juliet;
  xmpptls_result r;
  if ((r = xmpptls_endpoint_new(romeo_jid, XMPPTLS_TRUST_ON_FIRST_USE, &romeo)) != XMPPTLS_OK) die("romeo", r);
  if ((r = xmpptls_endpoint_new(juliet_jid, XMPPTLS_TRUST_ON_FIRST_USE, &juliet)) != XMPPTLS_OK) die("juliet", r);

  if ((r = xmpptls_endpoint_open(romeo, juliet_jid, now)) != XMPPTLS_OK) die("open", r);
  const char *msg = "<message type='chat'><body>But soft, what light through yonder window breaks?</body></message>";
  if ((r = xmpptls_endpoint_send(romeo, juliet_jid, msg, strlen(msg), now)) != XMPPTLS_OK) die("send", r);
  while (route(romeo, juliet, now) + route(juliet, romeo, now) > 0) {
  }
  timers(romeo, now);
  timers(juliet, now);
  show_events("romeo", romeo);
  show_events("juliet", juliet);

  xmpptls_endpoint_close(romeo, juliet_jid, now);
  while (route(romeo, juliet, now) + route(juliet, romeo, now) > 0) {
  }
  show_events("romeo", romeo);
  show_events("juliet", juliet);
  xmpptls_endpoint_free(romeo);
  xmpptls_endpoint_free(juliet);
  printf("libxmpptls %s (%d whitespace keepalives a host would have written)\n", xmpptls_version(), keepalives);
  return 0;
}
