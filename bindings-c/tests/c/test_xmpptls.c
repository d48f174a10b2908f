/*
 * C tests of libxmpptls, compiled with the system C compiler against the
 * installed header and library (scripts/test-c.sh). Two endpoints in one
 * process play romeo and juliet; this file is their "server".
 */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The test-only panic hook is declared only when this is defined. */
#define XMPPTLS_TEST_PANIC 1
#include <xmpptls.h>

#define ROMEO "romeo@montague.lit/orchard"
#define JULIET "juliet@capulet.lit/balcony"
/* The wall clock: test-c.sh makes the PKIX test certificates at run time. */
#define NOW ((uint64_t)time(NULL))

static int passed, failed;
static const char *cert_dir;

/* Reads a whole file; *len gets its size. Caller frees. */
static uint8_t *read_file(const char *name, size_t *len) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", cert_dir, name);
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *buf = malloc((size_t)n);
  *len = fread(buf, 1, (size_t)n, f);
  fclose(f);
  return buf;
}

/* Grades `n` and returns verdict; *json gets the report JSON (caller frees). */
static int grade(uint32_t policy, const xmpptls_negotiated *n, char **json) {
  xmpptls_report *r = NULL;
  if (xmpptls_evaluate(policy, "example.net", n, &r) != XMPPTLS_OK) return -1;
  size_t len = 0, w = 0;
  if (xmpptls_report_json_len(r, &len) != XMPPTLS_OK) return -1;
  *json = malloc(len + 1);
  if (xmpptls_report_json(r, *json, len + 1, &w) != XMPPTLS_OK || w != len) return -1;
  int v = (int)xmpptls_report_verdict(r);
  xmpptls_report_free(r);
  return v;
}

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      return 1;                                                            \
    }                                                                      \
  } while (0)

#define RUN(test)                                  \
  do {                                             \
    if (test() == 0) {                             \
      passed++;                                    \
      printf("ok   %s\n", #test);                  \
    } else {                                       \
      failed++;                                    \
      printf("FAIL %s\n", #test);                  \
    }                                              \
  } while (0)

/* The result of the last handle_incoming that failed in pump_one. */
static xmpptls_result pump_error;

/* Moves every queued stanza from `from` to `to`; returns how many, or -1
 * (with pump_error set when `to` refused a stanza). */
static int pump_one(xmpptls_endpoint *from, xmpptls_endpoint *to) {
  int moved = 0;
  size_t len;
  while (xmpptls_endpoint_transmit_len(from, &len) == XMPPTLS_OK) {
    char *buf = malloc(len + 1);
    size_t written = 0;
    if (xmpptls_endpoint_poll_transmit(from, buf, len + 1, &written) != XMPPTLS_OK) {
      free(buf);
      return -1;
    }
    int handled = -1;
    xmpptls_result r = xmpptls_endpoint_handle_incoming(to, buf, written, NOW, &handled);
    free(buf);
    if (r != XMPPTLS_OK || handled != 1) {
      pump_error = r;
      return -1;
    }
    moved++;
  }
  return moved;
}

/* Drops what `ep` queued (its peer went away). */
static void discard_transmits(xmpptls_endpoint *ep) {
  const char *data;
  size_t len;
  while (xmpptls_endpoint_peek_transmit(ep, &data, &len) == XMPPTLS_OK) xmpptls_endpoint_consume_transmit(ep);
}

static int pump(xmpptls_endpoint *a, xmpptls_endpoint *b) {
  for (int round = 0; round < 100; round++) {
    int x = pump_one(a, b), y = pump_one(b, a);
    if (x < 0 || y < 0) return -1;
    if (x == 0 && y == 0) return 0;
  }
  return -1;
}

/* Takes the next event: kind, peer and text (malloc'ed, caller frees). */
static uint32_t next_event(xmpptls_endpoint *ep, char **peer, char **text) {
  xmpptls_event *ev = NULL;
  if (xmpptls_endpoint_poll_event(ep, &ev) != XMPPTLS_OK) return 0;
  size_t plen = 0, tlen = 0, w = 0;
  uint32_t kind = xmpptls_event_kind(ev);
  if (xmpptls_event_lens(ev, &plen, &tlen) != XMPPTLS_OK) kind = 0;
  *peer = malloc(plen + 1);
  *text = malloc(tlen + 1);
  if (xmpptls_event_peer(ev, *peer, plen + 1, &w) != XMPPTLS_OK || w != plen) kind = 0;
  if (xmpptls_event_text(ev, *text, tlen + 1, &w) != XMPPTLS_OK || w != tlen) kind = 0;
  xmpptls_event_free(ev);
  return kind;
}

/* Drains events, counting kinds; remembers a text containing `want`. */
static int drain(xmpptls_endpoint *ep, int counts[5], const char *want, int *found) {
  char *peer, *text;
  uint32_t kind;
  while ((kind = next_event(ep, &peer, &text)) != 0) {
    if (kind > 4) return -1;
    counts[kind]++;
    if (want && strstr(text, want)) *found = 1;
    free(peer);
    free(text);
  }
  return 0;
}

static int test_version_and_messages(void) {
  CHECK(strcmp(xmpptls_version(), "0.1.0") == 0);
  char buf[128];
  size_t w = 0;
  CHECK(xmpptls_result_message(XMPPTLS_ERR_BASE64, buf, sizeof buf, &w) == XMPPTLS_OK);
  CHECK(strstr(buf, "base64") != NULL && w == strlen(buf));
  /* Truncated to the buffer, still NUL-terminated. */
  CHECK(xmpptls_result_message(XMPPTLS_ERR_BASE64, buf, 5, &w) == XMPPTLS_OK);
  CHECK(w == 4 && buf[4] == '\0');
  CHECK(xmpptls_result_message(9999, buf, sizeof buf, &w) == XMPPTLS_OK);
  CHECK(strstr(buf, "unknown") != NULL);
  CHECK(xmpptls_result_message(XMPPTLS_OK, NULL, 10, &w) == XMPPTLS_NULL_PARAMETER);
  return 0;
}

static int test_tunnel_messages_both_ways_and_close(void) {
  xmpptls_endpoint *romeo = NULL, *juliet = NULL;
  CHECK(xmpptls_endpoint_new(ROMEO, XMPPTLS_TRUST_ON_FIRST_USE, &romeo) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_new(JULIET, XMPPTLS_TRUST_OFFER, &juliet) == XMPPTLS_OK);
  uint32_t state = 0;
  CHECK(xmpptls_endpoint_tunnel_state(romeo, JULIET, &state) == XMPPTLS_EMPTY && state == 0);
  CHECK(xmpptls_endpoint_open(romeo, JULIET, NOW) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_tunnel_state(romeo, JULIET, &state) == XMPPTLS_OK && state == XMPPTLS_STATE_STARTING);
  CHECK(xmpptls_endpoint_tunnel_count(romeo) == 1 && xmpptls_endpoint_tunnel_count(NULL) == 0);
  const char *m1 = "<message type='chat'><body>But soft!</body></message>";
  CHECK(xmpptls_endpoint_send(romeo, JULIET, m1, strlen(m1), NOW) == XMPPTLS_OK);
  CHECK(pump(romeo, juliet) == 0);
  CHECK(xmpptls_endpoint_tunnel_state(juliet, ROMEO, &state) == XMPPTLS_OK && state == XMPPTLS_STATE_ESTABLISHED);
  const char *m2 = "<message type='chat'><body>Wherefore art thou</body></message>";
  CHECK(xmpptls_endpoint_send(juliet, ROMEO, m2, strlen(m2), NOW) == XMPPTLS_OK);
  CHECK(pump(romeo, juliet) == 0);

  int rc[5] = {0}, jc[5] = {0}, found_r = 0, found_j = 0;
  CHECK(drain(romeo, rc, "Wherefore art thou", &found_r) == 0);
  CHECK(drain(juliet, jc, "But soft!", &found_j) == 0);
  CHECK(rc[XMPPTLS_EVENT_ESTABLISHED] == 1 && jc[XMPPTLS_EVENT_ESTABLISHED] == 1);
  CHECK(rc[XMPPTLS_EVENT_STANZA] == 1 && jc[XMPPTLS_EVENT_STANZA] == 1);
  CHECK(found_r && found_j);

  CHECK(xmpptls_endpoint_close(romeo, JULIET, NOW) == XMPPTLS_OK);
  CHECK(pump(romeo, juliet) == 0);
  int rc2[5] = {0}, jc2[5] = {0}, f = 0;
  CHECK(drain(romeo, rc2, "local", &f) == 0 && f == 1);
  CHECK(drain(juliet, jc2, NULL, &f) == 0 && jc2[XMPPTLS_EVENT_CLOSED] == 1);
  CHECK(xmpptls_endpoint_send(romeo, JULIET, m1, strlen(m1), NOW) == XMPPTLS_ERR_NO_TUNNEL);
  CHECK(xmpptls_endpoint_tunnel_count(romeo) == 0);
  /* Romeo pinned juliet on first use; forgetting the pin is the user's
   * acceptance of a new key. */
  CHECK(xmpptls_endpoint_forget_pin(romeo, "juliet@capulet.lit") == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_forget_pin(romeo, "juliet@capulet.lit") == XMPPTLS_EMPTY);
  /* Disabled: a start is refused with service-unavailable. */
  CHECK(xmpptls_endpoint_set_enabled(juliet, 0) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_open(romeo, JULIET, NOW) == XMPPTLS_OK);
  pump(romeo, juliet);
  xmpptls_event *ev = NULL;
  CHECK(xmpptls_endpoint_poll_event(romeo, &ev) == XMPPTLS_OK);
  CHECK(xmpptls_event_kind(ev) == XMPPTLS_EVENT_CLOSED && xmpptls_event_close_reason(ev) == XMPPTLS_CLOSE_ERROR);
  CHECK(xmpptls_event_error_code(ev) == XMPPTLS_ERR_PEER_REFUSED);
  xmpptls_event_free(ev);

  xmpptls_endpoint_free(romeo);
  xmpptls_endpoint_free(juliet);
  return 0;
}

/* Deadlines: an unanswered start times out; the CLOSED event says why and
 * hands back the stanza that waited. Keepalive: a handled acknowledgement
 * that got no answer asks the host for a whitespace keepalive. */
static int test_deadlines_keepalive_and_returned_stanzas(void) {
  xmpptls_endpoint *romeo = NULL, *juliet = NULL;
  uint64_t t0 = NOW, deadline = 0;
  CHECK(xmpptls_endpoint_new(ROMEO, XMPPTLS_TRUST_OFFER, &romeo) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_poll_timeout(romeo, &deadline) == XMPPTLS_EMPTY);
  CHECK(xmpptls_endpoint_open(romeo, JULIET, t0) == XMPPTLS_OK);
  const char *m = "<message><body>are you there?</body></message>";
  CHECK(xmpptls_endpoint_send(romeo, JULIET, m, strlen(m), t0) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_poll_timeout(romeo, &deadline) == XMPPTLS_OK && deadline == t0 + 30);
  CHECK(xmpptls_endpoint_poll_timeout(romeo, NULL) == XMPPTLS_NULL_PARAMETER);
  CHECK(xmpptls_endpoint_handle_timeout(romeo, t0 + 29) == XMPPTLS_OK);
  xmpptls_event *ev = NULL;
  CHECK(xmpptls_endpoint_poll_event(romeo, &ev) == XMPPTLS_EMPTY);
  CHECK(xmpptls_endpoint_handle_timeout(romeo, t0 + 30) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_poll_event(romeo, &ev) == XMPPTLS_OK);
  CHECK(xmpptls_event_kind(ev) == XMPPTLS_EVENT_CLOSED);
  CHECK(xmpptls_event_close_reason(ev) == XMPPTLS_CLOSE_TIMEOUT);
  CHECK(xmpptls_event_waited(ev) == XMPPTLS_WAIT_PROCEED);
  CHECK(xmpptls_event_error_code(ev) == 0);
  CHECK(xmpptls_event_returned_count(ev) == 1);
  const char *data = NULL;
  size_t len = 0;
  int maybe = -1;
  CHECK(xmpptls_event_returned(ev, 0, &data, &len, &maybe) == XMPPTLS_OK);
  CHECK(maybe == 0 && memmem(data, len, "are you there?", 14) != NULL);
  CHECK(memmem(data, len, "to='" JULIET "'", strlen(JULIET) + 5) != NULL);
  CHECK(xmpptls_event_returned(ev, 1, &data, &len, &maybe) == XMPPTLS_INVALID_PARAMETER);
  /* The same event read in one call. */
  xmpptls_event_fields v;
  memset(&v, 0, sizeof v);
  CHECK(xmpptls_event_view(ev, &v) == XMPPTLS_OK);
  CHECK(v.kind == XMPPTLS_EVENT_CLOSED && v.close_reason == XMPPTLS_CLOSE_TIMEOUT);
  CHECK(v.waited == XMPPTLS_WAIT_PROCEED && v.error_code == 0 && v.returned_count == 1);
  CHECK(v.peer_len == strlen(JULIET) && !strcmp(v.peer, JULIET) && v.peer[v.peer_len] == '\0');
  CHECK(v.text_len > 0 && v.text_len == strlen(v.text));
  CHECK(xmpptls_event_view(NULL, &v) == XMPPTLS_NULL_PARAMETER);
  CHECK(xmpptls_event_view(ev, NULL) == XMPPTLS_NULL_PARAMETER);
  xmpptls_event_free(ev);
  CHECK(xmpptls_event_close_reason(NULL) == 0 && xmpptls_event_returned_count(NULL) == 0);
  CHECK(xmpptls_endpoint_poll_timeout(romeo, &deadline) == XMPPTLS_EMPTY);
  xmpptls_endpoint_free(romeo);

  /* Keepalive hint: romeo's data is acknowledged, and he has nothing to
   * say back. */
  CHECK(xmpptls_endpoint_new(ROMEO, XMPPTLS_TRUST_OFFER, &romeo) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_new(JULIET, XMPPTLS_TRUST_OFFER, &juliet) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_open(romeo, JULIET, t0) == XMPPTLS_OK);
  CHECK(pump(romeo, juliet) == 0);
  int ka = -1;
  CHECK(xmpptls_endpoint_poll_keepalive(romeo, &ka) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_send(romeo, JULIET, m, strlen(m), t0) == XMPPTLS_OK);
  CHECK(pump_one(romeo, juliet) == 1);
  CHECK(pump_one(juliet, romeo) == 1); /* her acknowledgement */
  CHECK(xmpptls_endpoint_poll_keepalive(juliet, &ka) == XMPPTLS_OK && ka == 0);
  CHECK(xmpptls_endpoint_poll_keepalive(romeo, &ka) == XMPPTLS_OK && ka == 1);
  CHECK(xmpptls_endpoint_poll_keepalive(romeo, &ka) == XMPPTLS_OK && ka == 0);
  CHECK(xmpptls_endpoint_poll_keepalive(romeo, NULL) == XMPPTLS_NULL_PARAMETER);
  xmpptls_endpoint_free(romeo);
  xmpptls_endpoint_free(juliet);
  return 0;
}

static int test_report_json_in_established_event(void) {
  xmpptls_endpoint *romeo = NULL, *juliet = NULL;
  CHECK(xmpptls_endpoint_new(ROMEO, XMPPTLS_TRUST_OFFER, &romeo) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_new(JULIET, XMPPTLS_TRUST_OFFER, &juliet) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_open(romeo, JULIET, NOW) == XMPPTLS_OK);
  CHECK(pump(romeo, juliet) == 0);
  char *peer, *text;
  CHECK(next_event(romeo, &peer, &text) == XMPPTLS_EVENT_ESTABLISHED);
  CHECK(strcmp(peer, JULIET) == 0);
  CHECK(strstr(text, "\"tls_version\":\"TLSv1.3\"") != NULL);
  CHECK(strstr(text, "\"key_exchange\":\"X25519MLKEM768\"") != NULL);
  CHECK(strstr(text, "\"verdict\":\"pass\"") != NULL);
  free(peer);
  free(text);
  xmpptls_endpoint_free(romeo);
  xmpptls_endpoint_free(juliet);
  return 0;
}

static int finding(const xmpptls_policy *p, const xmpptls_negotiated *n, const char *code, uint32_t *verdict);

static xmpptls_endpoint *with_key_exchange(const char *jid, uint32_t kx) {
  xmpptls_endpoint_config *cfg = NULL;
  xmpptls_endpoint *ep = NULL;
  if (xmpptls_endpoint_config_new(jid, &cfg) != XMPPTLS_OK) return NULL;
  if (xmpptls_endpoint_config_set_trust(cfg, XMPPTLS_TRUST_OFFER) != XMPPTLS_OK ||
      xmpptls_endpoint_config_set_key_exchange(cfg, kx) != XMPPTLS_OK ||
      xmpptls_endpoint_new_with_config(cfg, NULL, NULL, &ep) != XMPPTLS_OK)
    ep = NULL;
  xmpptls_endpoint_config_free(cfg);
  return ep;
}

/* An endpoint from a configuration with one setting changed. */
static xmpptls_endpoint *configured(const char *jid, int versions, int send_offer, int enabled) {
  xmpptls_endpoint_config *cfg = NULL;
  xmpptls_endpoint *ep = NULL;
  if (xmpptls_endpoint_config_new(jid, &cfg) != XMPPTLS_OK) return NULL;
  if ((versions && xmpptls_endpoint_config_set_versions(cfg, (uint32_t)versions) != XMPPTLS_OK) ||
      xmpptls_endpoint_config_set_trust(cfg, XMPPTLS_TRUST_OFFER) != XMPPTLS_OK ||
      xmpptls_endpoint_config_set_send_offer(cfg, send_offer) != XMPPTLS_OK ||
      xmpptls_endpoint_config_set_enabled(cfg, enabled) != XMPPTLS_OK ||
      xmpptls_endpoint_new_with_config(cfg, NULL, NULL, &ep) != XMPPTLS_OK)
    ep = NULL;
  xmpptls_endpoint_config_free(cfg);
  return ep;
}

/* Every setting of the configuration reaches the core (issue 23): versions,
 * the XEP-0250 offer, accepting starts. Trust, identity, roots, pins, key
 * exchange and limits have their own tests. */
static int test_every_setting_reaches_the_core(void) {
  /* A configuration left as made: trust on first use, the core's default
   * in every runtime (the peer's key is pinned as new). */
  xmpptls_endpoint_config *defaults = NULL;
  xmpptls_endpoint *romeo = NULL, *juliet = NULL;
  CHECK(xmpptls_endpoint_config_new(ROMEO, &defaults) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_new_with_config(defaults, NULL, NULL, &romeo) == XMPPTLS_OK);
  xmpptls_endpoint_config_free(defaults);
  juliet = configured(JULIET, 0, 1, 1);
  CHECK(juliet && xmpptls_endpoint_open(romeo, JULIET, NOW) == XMPPTLS_OK);
  CHECK(pump(romeo, juliet) == 0);
  char *peer, *text;
  CHECK(next_event(romeo, &peer, &text) == XMPPTLS_EVENT_ESTABLISHED);
  CHECK(strstr(text, "\"pin\":{\"status\":\"new\"}") != NULL);
  free(peer);
  free(text);
  xmpptls_endpoint_free(romeo);
  xmpptls_endpoint_free(juliet);

  romeo = configured(ROMEO, XMPPTLS_VERSIONS_TLS12_ONLY, 1, 1);
  juliet = configured(JULIET, 0, 1, 1);
  CHECK(romeo && juliet);
  CHECK(xmpptls_endpoint_open(romeo, JULIET, NOW) == XMPPTLS_OK);
  CHECK(pump(romeo, juliet) == 0);
  CHECK(next_event(romeo, &peer, &text) == XMPPTLS_EVENT_ESTABLISHED);
  CHECK(strstr(text, "\"TLSv1.2\"") != NULL);
  free(peer);
  free(text);
  xmpptls_endpoint_free(romeo);
  xmpptls_endpoint_free(juliet);

  for (int offer = 0; offer <= 1; offer++) {
    const char *data = NULL;
    size_t len = 0;
    romeo = configured(ROMEO, 0, offer, 1);
    CHECK(romeo && xmpptls_endpoint_open(romeo, JULIET, NOW) == XMPPTLS_OK);
    CHECK(xmpptls_endpoint_peek_transmit(romeo, &data, &len) == XMPPTLS_OK);
    CHECK((memmem(data, len, "<offer", 6) != NULL) == offer);
    xmpptls_endpoint_free(romeo);
  }

  /* Starts refused: the opener's tunnel ends. */
  romeo = configured(ROMEO, 0, 1, 1);
  juliet = configured(JULIET, 0, 1, 0);
  CHECK(romeo && juliet);
  CHECK(xmpptls_endpoint_open(romeo, JULIET, NOW) == XMPPTLS_OK);
  CHECK(pump(romeo, juliet) == -1 && pump_error == XMPPTLS_ERR_DISABLED); /* and her refusal reached romeo */
  CHECK(next_event(romeo, &peer, &text) == XMPPTLS_EVENT_CLOSED);
  free(peer);
  free(text);
  CHECK(xmpptls_endpoint_tunnel_count(juliet) == 0);
  xmpptls_endpoint_config *cfg = NULL;
  CHECK(xmpptls_endpoint_config_new(ROMEO, &cfg) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_config_set_send_offer(cfg, 2) == XMPPTLS_INVALID_PARAMETER);
  CHECK(xmpptls_endpoint_config_set_enabled(cfg, -1) == XMPPTLS_INVALID_PARAMETER);
  CHECK(xmpptls_endpoint_config_set_enabled(NULL, 1) == XMPPTLS_NULL_PARAMETER);
  xmpptls_endpoint_config_free(cfg);
  xmpptls_endpoint_free(romeo);
  xmpptls_endpoint_free(juliet);
  return 0;
}

/* Post-quantum settings: a classical peer still connects (X25519, an info
 * finding); required refuses it; required with TLS 1.2 only cannot be made;
 * a negotiation graded with its group. */
static int test_post_quantum(void) {
  xmpptls_endpoint *romeo = with_key_exchange(ROMEO, XMPPTLS_KEY_EXCHANGE_POST_QUANTUM);
  xmpptls_endpoint *juliet = with_key_exchange(JULIET, XMPPTLS_KEY_EXCHANGE_CLASSICAL);
  CHECK(romeo && juliet);
  CHECK(xmpptls_endpoint_open(romeo, JULIET, NOW) == XMPPTLS_OK);
  CHECK(pump(romeo, juliet) == 0);
  char *peer, *text;
  CHECK(next_event(romeo, &peer, &text) == XMPPTLS_EVENT_ESTABLISHED);
  CHECK(strstr(text, "\"key_exchange\":\"X25519\"") != NULL);
  CHECK(strstr(text, "\"classical-key-exchange\"") != NULL);
  free(peer);
  free(text);
  xmpptls_endpoint_free(romeo);
  xmpptls_endpoint_free(juliet);

  romeo = with_key_exchange(ROMEO, XMPPTLS_KEY_EXCHANGE_POST_QUANTUM_REQUIRED);
  juliet = with_key_exchange(JULIET, XMPPTLS_KEY_EXCHANGE_CLASSICAL);
  CHECK(romeo && juliet);
  CHECK(xmpptls_endpoint_open(romeo, JULIET, NOW) == XMPPTLS_OK);
  pump(romeo, juliet);
  CHECK(next_event(romeo, &peer, &text) == XMPPTLS_EVENT_CLOSED);
  free(peer);
  free(text);
  xmpptls_endpoint_free(romeo);
  xmpptls_endpoint_free(juliet);

  xmpptls_endpoint_config *cfg = NULL;
  xmpptls_endpoint *ep = NULL;
  CHECK(xmpptls_endpoint_config_new(ROMEO, &cfg) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_config_set_key_exchange(cfg, 7) == XMPPTLS_ERR_UNKNOWN_NAME);
  CHECK(xmpptls_endpoint_config_set_versions(cfg, XMPPTLS_VERSIONS_TLS12_ONLY) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_config_set_key_exchange(cfg, XMPPTLS_KEY_EXCHANGE_POST_QUANTUM_REQUIRED) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_new_with_config(cfg, NULL, NULL, &ep) == XMPPTLS_ERR_CONFIG && ep == NULL);
  xmpptls_endpoint_config_free(cfg);

  xmpptls_negotiated n = {.encrypted = 1, .version = 0x0304, .suite = 0x1302, .kx_bits = 253, .extended_master_secret = -1, .authentication = XMPPTLS_AUTH_DIALBACK, .kx_group = "X25519"};
  xmpptls_policy *p = NULL;
  uint32_t v = 99;
  CHECK(xmpptls_policy_new(XMPPTLS_POLICY_OPPORTUNISTIC_S2S, &p) == XMPPTLS_OK);
  CHECK(finding(p, &n, "classical-key-exchange", &v) == (int)XMPPTLS_SEVERITY_INFO);
  CHECK(xmpptls_policy_set_require_post_quantum(p, 1) == XMPPTLS_OK);
  CHECK(finding(p, &n, "classical-key-exchange", &v) == (int)XMPPTLS_SEVERITY_ERROR && v == XMPPTLS_VERDICT_FAIL);
  n.kx_group = "X25519MLKEM768";
  CHECK(finding(p, &n, "classical-key-exchange", &v) == -1);
  xmpptls_policy_free(p);
  return 0;
}

static int test_simultaneous_start(void) {
  xmpptls_endpoint *romeo = NULL, *juliet = NULL;
  CHECK(xmpptls_endpoint_new(ROMEO, XMPPTLS_TRUST_OFFER, &romeo) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_new(JULIET, XMPPTLS_TRUST_OFFER, &juliet) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_open(romeo, JULIET, NOW) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_open(juliet, ROMEO, NOW) == XMPPTLS_OK);
  CHECK(pump(romeo, juliet) == 0);
  int rc[5] = {0}, jc[5] = {0}, f = 0;
  CHECK(drain(romeo, rc, NULL, &f) == 0 && drain(juliet, jc, NULL, &f) == 0);
  CHECK(rc[XMPPTLS_EVENT_ESTABLISHED] == 1 && jc[XMPPTLS_EVENT_ESTABLISHED] == 1);
  CHECK(rc[XMPPTLS_EVENT_CLOSED] == 0 && jc[XMPPTLS_EVENT_CLOSED] == 0);
  xmpptls_endpoint_free(romeo);
  xmpptls_endpoint_free(juliet);
  return 0;
}

static int test_bad_input_and_null_arguments(void) {
  xmpptls_endpoint *juliet = NULL;
  CHECK(xmpptls_endpoint_new("not a jid@", XMPPTLS_TRUST_OFFER, &juliet) == XMPPTLS_ERR_INVALID_JID);
  CHECK(juliet == NULL); /* out-parameters only on success */
  CHECK(xmpptls_endpoint_new(JULIET, 42, &juliet) == XMPPTLS_ERR_UNKNOWN_NAME);
  CHECK(xmpptls_endpoint_new("\xff\xfe", XMPPTLS_TRUST_OFFER, &juliet) == XMPPTLS_INVALID_PARAMETER);
  CHECK(xmpptls_endpoint_new(NULL, XMPPTLS_TRUST_OFFER, &juliet) == XMPPTLS_NULL_PARAMETER);
  CHECK(xmpptls_endpoint_new(JULIET, XMPPTLS_TRUST_OFFER, NULL) == XMPPTLS_NULL_PARAMETER);
  CHECK(xmpptls_endpoint_new(JULIET, XMPPTLS_TRUST_OFFER, &juliet) == XMPPTLS_OK);

  int handled = -1;
  const char *bad_xml = "<iq type='set' id='1'><start xmlns='urn:xmpp:tmp:xtls'>";
  CHECK(xmpptls_endpoint_handle_incoming(juliet, bad_xml, strlen(bad_xml), NOW, &handled) == XMPPTLS_ERR_XML);
  CHECK(handled == -1);
  const char *bomb = "<!DOCTYPE iq [<!ENTITY a 'a'>]><iq type='set' id='1'>&a;</iq>";
  CHECK(xmpptls_endpoint_handle_incoming(juliet, bomb, strlen(bomb), NOW, &handled) == XMPPTLS_ERR_XML);
  /* The detail the code cannot carry. */
  char detail[256];
  size_t detail_len = 0, dw = 0;
  CHECK(xmpptls_last_error_detail_len(&detail_len) == XMPPTLS_OK && detail_len > 0 && detail_len < sizeof detail);
  CHECK(xmpptls_last_error_detail(detail, sizeof detail, &dw) == XMPPTLS_OK && dw == detail_len);
  CHECK(strstr(detail, "DOCTYPE") != NULL);
  CHECK(xmpptls_last_error_detail(detail, 3, &dw) == XMPPTLS_BUFFER_TOO_SMALL);
  const char *base64 = "<iq type='set' id='d' from='" ROMEO "' to='" JULIET "'><data xmlns='urn:xmpp:tmp:xtls'>!!!</data></iq>";
  CHECK(xmpptls_endpoint_handle_incoming(juliet, base64, strlen(base64), NOW, &handled) == XMPPTLS_ERR_NO_TUNNEL);
  const char *msg = "<message><body>not ours</body></message>";
  CHECK(xmpptls_endpoint_handle_incoming(juliet, msg, strlen(msg), NOW, &handled) == XMPPTLS_OK);
  CHECK(handled == 0);
  CHECK(xmpptls_endpoint_handle_incoming(juliet, NULL, 5, NOW, &handled) == XMPPTLS_NULL_PARAMETER);
  CHECK(xmpptls_endpoint_handle_incoming(NULL, msg, strlen(msg), NOW, &handled) == XMPPTLS_NULL_PARAMETER);
  CHECK(xmpptls_endpoint_handle_incoming(juliet, msg, strlen(msg), NOW, NULL) == XMPPTLS_NULL_PARAMETER);
  CHECK(xmpptls_endpoint_open(juliet, NULL, NOW) == XMPPTLS_NULL_PARAMETER);
  CHECK(xmpptls_endpoint_open(juliet, "@bad", NOW) == XMPPTLS_ERR_INVALID_JID);

  /* The truncated start got its answer (every IQ-set does, RFC 6120
   * §8.2.3), and the item-not-found answer to the data is queued behind
   * it: a too-small buffer does not consume it. */
  size_t len = 0, w = 0;
  const char *first = NULL;
  CHECK(xmpptls_endpoint_peek_transmit(juliet, &first, &len) == XMPPTLS_OK);
  CHECK(memmem(first, len, "bad-request", 11) != NULL);
  CHECK(xmpptls_endpoint_consume_transmit(juliet) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_transmit_len(juliet, &len) == XMPPTLS_OK && len > 10);
  char small[8];
  CHECK(xmpptls_endpoint_poll_transmit(juliet, small, sizeof small, &w) == XMPPTLS_BUFFER_TOO_SMALL);
  char *big = malloc(len + 1);
  CHECK(xmpptls_endpoint_poll_transmit(juliet, big, len + 1, &w) == XMPPTLS_OK && w == len);
  CHECK(strstr(big, "item-not-found") != NULL);
  free(big);
  CHECK(xmpptls_endpoint_transmit_len(juliet, &len) == XMPPTLS_EMPTY);
  xmpptls_event *ev = NULL;
  CHECK(xmpptls_endpoint_poll_event(juliet, &ev) == XMPPTLS_EMPTY && ev == NULL);
  CHECK(xmpptls_event_kind(NULL) == 0);
  xmpptls_event_free(NULL);
  xmpptls_endpoint_free(NULL);
  xmpptls_endpoint_free(juliet);
  return 0;
}

static int test_evaluate_a_connection_made_by_another_stack(void) {
  size_t ec_len = 0, rsa_len = 0;
  uint8_t *ec = read_file("ec.der", &ec_len), *rsa = read_file("rsa1024.der", &rsa_len);
  CHECK(ec && rsa);
  xmpptls_der ec_chain[1] = {{ec, ec_len}}, rsa_chain[1] = {{rsa, rsa_len}};
  char *json = NULL;

  /* TLS 1.3, AES-256-GCM, PKIX-authenticated, EC P-256 key: pass. */
  xmpptls_negotiated good = {.encrypted = 1, .version = 0x0304, .suite = 0x1302, .kx_bits = 253, .extended_master_secret = -1, .authentication = XMPPTLS_AUTH_PKIX, .peer_chain = ec_chain, .peer_chain_len = 1};
  CHECK(grade(XMPPTLS_POLICY_STRICT, &good, &json) == XMPPTLS_VERDICT_PASS);
  CHECK(strstr(json, "\"cipher_suite\":\"TLS_AES_256_GCM_SHA384\"") && strstr(json, "\"key_bits\":256"));
  free(json);

  /* The XTLS spec's mandatory 3DES suite: fail, suite-forbidden. */
  xmpptls_negotiated des = {.encrypted = 1, .version = 0x0303, .suite = 0x000a, .extended_master_secret = 1, .authentication = XMPPTLS_AUTH_PKIX, .peer_chain = ec_chain, .peer_chain_len = 1};
  CHECK(grade(XMPPTLS_POLICY_STRICT, &des, &json) == XMPPTLS_VERDICT_FAIL);
  CHECK(strstr(json, "suite-forbidden") != NULL);
  free(json);

  /* A 1024-bit RSA key, read from the chain: fail, weak-peer-key. */
  xmpptls_negotiated weak = {.encrypted = 1, .version = 0x0303, .suite = 0xc02f, .kx_bits = 256, .extended_master_secret = 1, .authentication = XMPPTLS_AUTH_PKIX, .peer_chain = rsa_chain, .peer_chain_len = 1};
  CHECK(grade(XMPPTLS_POLICY_STRICT, &weak, &json) == XMPPTLS_VERDICT_FAIL);
  CHECK(strstr(json, "weak-peer-key") != NULL && strstr(json, "RSA key of 1024 bits") != NULL);
  free(json);

  /* Dialback between servers: a warning under the opportunistic policy. */
  xmpptls_negotiated db = {.encrypted = 1, .version = 0x0304, .suite = 0x1301, .kx_bits = 253, .extended_master_secret = -1, .authentication = XMPPTLS_AUTH_DIALBACK};
  CHECK(grade(XMPPTLS_POLICY_OPPORTUNISTIC_S2S, &db, &json) == XMPPTLS_VERDICT_WARN);
  CHECK(strstr(json, "dialback-only") != NULL);
  free(json);

  xmpptls_report *r = NULL;
  CHECK(xmpptls_evaluate(99, "example.net", &good, &r) == XMPPTLS_ERR_UNKNOWN_NAME && r == NULL);
  CHECK(xmpptls_evaluate(XMPPTLS_POLICY_STRICT, "example.net", NULL, &r) == XMPPTLS_NULL_PARAMETER);
  xmpptls_negotiated broken = good;
  broken.peer_chain = NULL;
  CHECK(xmpptls_evaluate(XMPPTLS_POLICY_STRICT, "example.net", &broken, &r) == XMPPTLS_NULL_PARAMETER);
  CHECK(xmpptls_report_verdict(NULL) == XMPPTLS_VERDICT_FAIL && xmpptls_report_findings(NULL) == 0);
  xmpptls_report_free(NULL);
  free(ec);
  free(rsa);
  return 0;
}

static uint32_t check_server(const xmpptls_policy *p, const char *domain, const xmpptls_negotiated *n,
                             xmpptls_pin_store *pins, const char *want) {
  xmpptls_report *r = NULL;
  if (xmpptls_check_server(p, domain, XMPPTLS_SERVICE_CLIENT, n, pins, &r) != XMPPTLS_OK) return 99;
  size_t len = 0, w = 0;
  char json[8192];
  uint32_t v = xmpptls_report_verdict(r);
  if (xmpptls_report_json_len(r, &len) != XMPPTLS_OK || len >= sizeof json ||
      xmpptls_report_json(r, json, sizeof json, &w) != XMPPTLS_OK || (want && !strstr(json, want)))
    v = 98;
  xmpptls_report_free(r);
  return v;
}

/* The check from a TLS stack's verify callback: identity by XMPP rules
 * (SRV-ID), the key pinned on first use and kept across a save, a changed
 * key a warning, and the policy's CN fallback knob honoured. */
static int test_server_check_with_pins(void) {
  size_t ec_len = 0, p384_len = 0, cn_len = 0;
  uint8_t *ec = read_file("ec.der", &ec_len), *p384 = read_file("p384.der", &p384_len);
  uint8_t *cn = read_file("cn-only.der", &cn_len);
  CHECK(ec && p384 && cn);
  xmpptls_der chain[1] = {{ec, ec_len}}, other[1] = {{p384, p384_len}}, cn_chain[1] = {{cn, cn_len}};
  xmpptls_negotiated n = {.encrypted = 1, .version = 0x0304, .suite = 0x1301, .kx_bits = 253, .extended_master_secret = -1, .authentication = XMPPTLS_AUTH_PKIX, .peer_chain = chain, .peer_chain_len = 1};
  xmpptls_policy *p = NULL;
  xmpptls_pin_store *pins = NULL;
  CHECK(xmpptls_policy_new(XMPPTLS_POLICY_STRICT, &p) == XMPPTLS_OK);
  CHECK(xmpptls_pin_store_new(&pins) == XMPPTLS_OK);
  CHECK(check_server(p, "example.net", &n, pins, "\"status\":\"new\"") == XMPPTLS_VERDICT_PASS);
  /* Saved and loaded back: the same key matches. */
  size_t len = 0, w = 0;
  CHECK(xmpptls_pin_store_json_len(pins, &len) == XMPPTLS_OK);
  char *json = malloc(len + 1);
  CHECK(json && xmpptls_pin_store_json(pins, json, len + 1, &w) == XMPPTLS_OK && w == len);
  xmpptls_pin_store_free(pins);
  pins = NULL;
  CHECK(xmpptls_pin_store_from_json(json, len, &pins) == XMPPTLS_OK);
  free(json);
  CHECK(check_server(p, "example.net", &n, pins, "\"status\":\"match\"") == XMPPTLS_VERDICT_PASS);
  /* Another key for the same server: a warning, not re-pinned. */
  xmpptls_negotiated changed = n;
  changed.peer_chain = other;
  CHECK(check_server(p, "example.net", &changed, pins, "pin-changed") != XMPPTLS_VERDICT_PASS);
  CHECK(check_server(p, "example.net", &n, pins, "\"status\":\"match\"") == XMPPTLS_VERDICT_PASS);
  /* Another domain: identity-mismatch fails; no pins: no pin status. */
  CHECK(check_server(p, "shire.example", &n, NULL, "identity-mismatch") == XMPPTLS_VERDICT_FAIL);
  /* CN only: refused unless the policy allows the RFC 6125 CN fallback. */
  xmpptls_negotiated cn_only = n;
  cn_only.peer_chain = cn_chain;
  CHECK(check_server(p, "cn-only.example", &cn_only, NULL, "identity-mismatch") == XMPPTLS_VERDICT_FAIL);
  CHECK(xmpptls_policy_set_cn_fallback(p, 1) == XMPPTLS_OK);
  CHECK(check_server(p, "cn-only.example", &cn_only, NULL, "CN-ID") != XMPPTLS_VERDICT_FAIL);
  /* Bad input. */
  xmpptls_report *r = NULL;
  CHECK(xmpptls_check_server(p, "example.net", 9, &n, NULL, &r) == XMPPTLS_ERR_UNKNOWN_NAME && r == NULL);
  CHECK(xmpptls_check_server(NULL, "example.net", XMPPTLS_SERVICE_CLIENT, &n, NULL, &r) == XMPPTLS_NULL_PARAMETER);
  CHECK(xmpptls_pin_store_from_json("{", 1, &pins) == XMPPTLS_ERR_PIN_STORE);
  xmpptls_pin_store_free(pins);
  xmpptls_pin_store_free(NULL);
  xmpptls_policy_free(p);
  free(ec);
  free(p384);
  free(cn);
  return 0;
}

/* Evaluates under `p`; returns the severity of the finding `code` (-1 when
 * absent, -2 on error) and the verdict through `verdict`. */
static int finding(const xmpptls_policy *p, const xmpptls_negotiated *n, const char *code, uint32_t *verdict) {
  xmpptls_report *r = NULL;
  if (xmpptls_evaluate_with_policy(p, "example.net", n, &r) != XMPPTLS_OK) return -2;
  *verdict = xmpptls_report_verdict(r);
  int found = -1;
  for (size_t i = 0; i < xmpptls_report_findings(r); i++) {
    uint32_t sev = 99;
    const char *c = NULL, *m = NULL;
    if (xmpptls_report_finding(r, i, &sev, &c, &m) != XMPPTLS_OK || strlen(m) == 0) found = -2;
    else if (strcmp(c, code) == 0) found = (int)sev;
  }
  uint32_t sev;
  const char *c, *m;
  if (xmpptls_report_finding(r, xmpptls_report_findings(r), &sev, &c, &m) != XMPPTLS_INVALID_PARAMETER) found = -2;
  xmpptls_report_free(r);
  return found;
}

/* The knobs beyond the presets, each shown changing a verdict. */
static int test_policy_knobs(void) {
  size_t ec_len = 0, rsa_len = 0;
  uint8_t *ec = read_file("ec.der", &ec_len), *rsa = read_file("rsa1024.der", &rsa_len);
  CHECK(ec && rsa);
  xmpptls_der ec_chain[1] = {{ec, ec_len}}, rsa_chain[1] = {{rsa, rsa_len}};
  xmpptls_negotiated tls13 = {.encrypted = 1, .version = 0x0304, .suite = 0x1302, .kx_bits = 253, .extended_master_secret = -1, .authentication = XMPPTLS_AUTH_PKIX, .peer_chain = ec_chain, .peer_chain_len = 1};
  xmpptls_negotiated tls12 = {.encrypted = 1, .version = 0x0303, .suite = 0xc02b, .kx_bits = 256, .extended_master_secret = 1, .authentication = XMPPTLS_AUTH_PKIX, .peer_chain = ec_chain, .peer_chain_len = 1};
  xmpptls_negotiated weak = {.encrypted = 1, .version = 0x0303, .suite = 0xc02f, .kx_bits = 256, .extended_master_secret = 1, .authentication = XMPPTLS_AUTH_PKIX, .peer_chain = rsa_chain, .peer_chain_len = 1};
  xmpptls_policy *p = NULL;
  uint32_t v = 99;
  CHECK(xmpptls_policy_new(XMPPTLS_POLICY_STRICT, &p) == XMPPTLS_OK);
  CHECK(finding(p, &tls12, "version-below-policy", &v) == -1 && v == XMPPTLS_VERDICT_PASS);
  CHECK(xmpptls_policy_set_min_version(p, 0x0304) == XMPPTLS_OK);
  CHECK(finding(p, &tls12, "version-below-policy", &v) == XMPPTLS_SEVERITY_ERROR && v == XMPPTLS_VERDICT_FAIL);
  CHECK(finding(p, &tls13, "version-below-policy", &v) == -1 && v == XMPPTLS_VERDICT_PASS);
  CHECK(xmpptls_policy_deny_suite(p, 0x1302) == XMPPTLS_OK);
  CHECK(finding(p, &tls13, "suite-denied", &v) == XMPPTLS_SEVERITY_ERROR && v == XMPPTLS_VERDICT_FAIL);
  CHECK(xmpptls_policy_allow_suite(p, 0x1302) == XMPPTLS_OK);
  CHECK(finding(p, &tls13, "suite-denied", &v) == -1 && v == XMPPTLS_VERDICT_PASS);
  CHECK(xmpptls_policy_set_allowed_auth(p, 1u << XMPPTLS_AUTH_DANE) == XMPPTLS_OK);
  CHECK(finding(p, &tls13, "auth-method-not-allowed", &v) == XMPPTLS_SEVERITY_ERROR && v == XMPPTLS_VERDICT_FAIL);
  CHECK(xmpptls_policy_set_allowed_auth(p, (1u << XMPPTLS_AUTH_DANE) | (1u << XMPPTLS_AUTH_PKIX)) == XMPPTLS_OK);
  CHECK(finding(p, &tls13, "auth-method-not-allowed", &v) == -1 && v == XMPPTLS_VERDICT_PASS);
  xmpptls_policy_free(p);

  CHECK(xmpptls_policy_new(XMPPTLS_POLICY_STRICT, &p) == XMPPTLS_OK);
  CHECK(finding(p, &weak, "weak-peer-key", &v) == XMPPTLS_SEVERITY_ERROR && v == XMPPTLS_VERDICT_FAIL);
  CHECK(xmpptls_policy_set_min_key_bits(p, 1024, 2048, 224) == XMPPTLS_OK);
  CHECK(finding(p, &weak, "weak-peer-key", &v) != XMPPTLS_SEVERITY_ERROR && v != XMPPTLS_VERDICT_FAIL);
  xmpptls_negotiated anon = tls13;
  anon.authentication = XMPPTLS_AUTH_NONE;
  CHECK(finding(p, &anon, "not-authenticated", &v) == XMPPTLS_SEVERITY_ERROR && v == XMPPTLS_VERDICT_FAIL);
  CHECK(xmpptls_policy_set_require_authentication(p, 0) == XMPPTLS_OK);
  CHECK(finding(p, &anon, "not-authenticated", &v) != XMPPTLS_SEVERITY_ERROR && v != XMPPTLS_VERDICT_FAIL);
  CHECK(xmpptls_policy_set_cn_fallback(p, 1) == XMPPTLS_OK);

  CHECK(xmpptls_policy_set_min_version(p, 0x9999) == XMPPTLS_ERR_UNKNOWN_NAME);
  CHECK(xmpptls_policy_set_allowed_auth(p, 1u << 9) == XMPPTLS_ERR_UNKNOWN_NAME);
  CHECK(xmpptls_policy_set_min_version(NULL, 0x0304) == XMPPTLS_NULL_PARAMETER);
  xmpptls_policy *none = NULL;
  CHECK(xmpptls_policy_new(99, &none) == XMPPTLS_ERR_UNKNOWN_NAME && none == NULL);
  /* All four presets, xtls included (it accepts an XEP-0250 offer). */
  CHECK(xmpptls_policy_new(XMPPTLS_POLICY_XTLS, &none) == XMPPTLS_OK);
  xmpptls_negotiated offered = tls13;
  offered.authentication = XMPPTLS_AUTH_OFFER;
  CHECK(finding(none, &offered, "auth-method-not-allowed", &v) == -1);
  xmpptls_policy_free(none);
  CHECK(xmpptls_policy_new(XMPPTLS_POLICY_STRICT, &none) == XMPPTLS_OK);
  CHECK(finding(none, &offered, "auth-method-not-allowed", &v) == XMPPTLS_SEVERITY_ERROR);
  xmpptls_policy_free(none);
  none = NULL;
  xmpptls_report *r = NULL;
  CHECK(xmpptls_evaluate_with_policy(NULL, "example.net", &tls13, &r) == XMPPTLS_NULL_PARAMETER && r == NULL);
  xmpptls_policy_free(p);
  xmpptls_policy_free(NULL);
  free(ec);
  free(rsa);
  return 0;
}

static int test_certificate_identity(void) {
  size_t len = 0;
  uint8_t *ec = read_file("ec.der", &len);
  CHECK(ec);
  uint32_t m = 99;
  CHECK(xmpptls_check_identity(ec, len, "example.net", XMPPTLS_SERVICE_CLIENT, 0, &m) == XMPPTLS_OK);
  CHECK(m == XMPPTLS_MATCH_DNS_ID);
  CHECK(xmpptls_check_identity(ec, len, "EXAMPLE.NET.", XMPPTLS_SERVICE_SERVER, 0, &m) == XMPPTLS_OK);
  CHECK(m == XMPPTLS_MATCH_DNS_ID);
  /* A hosted domain is not named by the provider's certificate. */
  CHECK(xmpptls_check_identity(ec, len, "shire.example", XMPPTLS_SERVICE_CLIENT, 1, &m) == XMPPTLS_OK);
  CHECK(m == 0);
  uint8_t garbage[3] = {1, 2, 3};
  m = 99;
  CHECK(xmpptls_check_identity(garbage, 3, "example.net", XMPPTLS_SERVICE_CLIENT, 0, &m) == XMPPTLS_ERR_CERTIFICATE);
  CHECK(m == 99);
  CHECK(xmpptls_check_identity(ec, len, "example.net", 7, 0, &m) == XMPPTLS_ERR_UNKNOWN_NAME);
  CHECK(xmpptls_check_identity(ec, len, "bad domain", XMPPTLS_SERVICE_CLIENT, 0, &m) == XMPPTLS_ERR_CONFIG);
  CHECK(xmpptls_check_identity(ec, len, "example.net", XMPPTLS_SERVICE_CLIENT, 0, NULL) == XMPPTLS_NULL_PARAMETER);
  free(ec);
  return 0;
}

static int test_borrowed_views(void) {
  xmpptls_endpoint *romeo = NULL, *juliet = NULL;
  CHECK(xmpptls_endpoint_new(ROMEO, XMPPTLS_TRUST_OFFER, &romeo) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_new(JULIET, XMPPTLS_TRUST_OFFER, &juliet) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_open(romeo, JULIET, NOW) == XMPPTLS_OK);
  const char *data = NULL;
  size_t len = 0, len2 = 0;
  /* Peeking twice shows the same stanza; consuming moves on. */
  CHECK(xmpptls_endpoint_peek_transmit(romeo, &data, &len) == XMPPTLS_OK && len > 0);
  const char *start = "<start xmlns='urn:xmpp:tmp:xtls'";
  CHECK(memmem(data, len, start, strlen(start)) != NULL);
  const char *again = NULL;
  CHECK(xmpptls_endpoint_peek_transmit(romeo, &again, &len2) == XMPPTLS_OK && again == data && len2 == len);
  int handled = 0;
  CHECK(xmpptls_endpoint_handle_incoming(juliet, data, len, NOW, &handled) == XMPPTLS_OK && handled == 1);
  CHECK(xmpptls_endpoint_consume_transmit(romeo) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_peek_transmit(romeo, &data, &len) == XMPPTLS_EMPTY);
  CHECK(xmpptls_endpoint_consume_transmit(romeo) == XMPPTLS_EMPTY);
  CHECK(xmpptls_endpoint_peek_transmit(romeo, NULL, &len) == XMPPTLS_NULL_PARAMETER);
  /* Finish the handshake and read the report without copying it. */
  CHECK(pump(romeo, juliet) == 0);
  xmpptls_event *ev = NULL;
  CHECK(xmpptls_endpoint_poll_event(romeo, &ev) == XMPPTLS_OK);
  CHECK(xmpptls_event_text_ptr(ev, &data, &len) == XMPPTLS_OK);
  const char *pass = "\"verdict\":\"pass\"";
  CHECK(len > 0 && data[0] == '{' && memmem(data, len, pass, strlen(pass)) != NULL);
  CHECK(xmpptls_event_text_ptr(NULL, &data, &len) == XMPPTLS_NULL_PARAMETER);
  /* The view lends the same text, NUL-terminated, and the peer. */
  xmpptls_event_fields v;
  CHECK(xmpptls_event_view(ev, &v) == XMPPTLS_OK && v.kind == XMPPTLS_EVENT_ESTABLISHED);
  CHECK(v.text == data && v.text_len == len && v.text[len] == '\0');
  CHECK(!strcmp(v.peer, JULIET) && v.returned_count == 0 && v.close_reason == 0);
  xmpptls_event_free(ev);
  xmpptls_endpoint_free(romeo);
  xmpptls_endpoint_free(juliet);
  return 0;
}

/* Pin callback: remembers the last pin and counts calls. */
struct pins_seen {
  int calls;
  char jid[128];
  char pin[80];
};

static void on_pin(void *userdata, const char *bare_jid, const char *spki) {
  struct pins_seen *p = userdata;
  p->calls++;
  snprintf(p->jid, sizeof p->jid, "%s", bare_jid);
  snprintf(p->pin, sizeof p->pin, "%s", spki);
}

/* The application's pin storage for xmpptls_pin_store_with_callbacks: a
 * few keys with their pins, as a database would keep them. */
struct pin_db {
  int keys;
  char key[8][128];
  int count[8];
  char pin[8][4][65];
  int saves;
  xmpptls_result bad_add, late_add;
};

static int pin_db_find(struct pin_db *db, const char *key) {
  for (int i = 0; i < db->keys; i++)
    if (!strcmp(db->key[i], key)) return i;
  return -1;
}

static void pin_db_load(void *userdata, const char *key, xmpptls_pin_list *pins) {
  struct pin_db *db = userdata;
  /* A pin that is not hex SHA-256 is refused, not stored. */
  db->bad_add = xmpptls_pin_list_add(pins, "not a pin");
  int i = pin_db_find(db, key);
  for (int k = 0; i >= 0 && k < db->count[i]; k++) xmpptls_pin_list_add(pins, db->pin[i][k]);
}

static void pin_db_save(void *userdata, const char *key, const char *const *pins, size_t count) {
  struct pin_db *db = userdata;
  db->saves++;
  int i = pin_db_find(db, key);
  if (i < 0 && db->keys < 8) {
    i = db->keys++;
    snprintf(db->key[i], sizeof db->key[i], "%s", key);
  }
  if (i < 0) return;
  db->count[i] = count < 4 ? (int)count : 4;
  for (int k = 0; k < db->count[i]; k++) snprintf(db->pin[i][k], 65, "%s", pins[k]);
}

/* One pin store in the application's storage for an endpoint and the
 * server check: a peer pinned on first use lands in the storage and is
 * read back after a restart, the server check pins into the same storage,
 * forgetting a pin reaches it, and pins from two places are refused. */
static int test_pin_store_in_application_storage(void) {
  struct pin_db db = {0};
  xmpptls_pin_store *store = NULL;
  CHECK(xmpptls_pin_store_with_callbacks(NULL, pin_db_save, &db, &store) == XMPPTLS_NULL_PARAMETER);
  CHECK(xmpptls_pin_store_with_callbacks(pin_db_load, pin_db_save, &db, &store) == XMPPTLS_OK);
  size_t len = 0;
  CHECK(xmpptls_pin_store_json_len(store, &len) == XMPPTLS_UNSUPPORTED);
  xmpptls_endpoint_config *cfg = NULL;
  xmpptls_endpoint *romeo = NULL, *juliet = NULL;
  CHECK(xmpptls_endpoint_config_new(ROMEO, &cfg) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_config_set_pin_store(cfg, store) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_new_with_config(cfg, NULL, NULL, &romeo) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_new(JULIET, XMPPTLS_TRUST_OFFER, &juliet) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_open(romeo, JULIET, NOW) == XMPPTLS_OK);
  CHECK(pump(romeo, juliet) == 0);
  int c[5] = {0}, f = 0;
  CHECK(drain(romeo, c, "\"status\":\"new\"", &f) == 0 && f == 1);
  int j = pin_db_find(&db, "juliet@capulet.lit");
  CHECK(j >= 0 && db.count[j] == 1 && strlen(db.pin[j][0]) == 64 && db.saves == 1);
  CHECK(db.bad_add == XMPPTLS_INVALID_PARAMETER);

  /* The server check pins into the same storage. */
  size_t ec_len = 0;
  uint8_t *ec = read_file("ec.der", &ec_len);
  CHECK(ec);
  xmpptls_der chain[1] = {{ec, ec_len}};
  xmpptls_negotiated n = {.encrypted = 1, .version = 0x0304, .suite = 0x1301, .kx_bits = 253, .extended_master_secret = -1, .authentication = XMPPTLS_AUTH_PKIX, .peer_chain = chain, .peer_chain_len = 1};
  xmpptls_policy *p = NULL;
  CHECK(xmpptls_policy_new(XMPPTLS_POLICY_STRICT, &p) == XMPPTLS_OK);
  CHECK(check_server(p, "example.net", &n, store, "\"status\":\"new\"") == XMPPTLS_VERDICT_PASS);
  CHECK(pin_db_find(&db, "xmpp-client:example.net") >= 0 && db.saves == 2);
  CHECK(check_server(p, "example.net", &n, store, "\"status\":\"match\"") == XMPPTLS_VERDICT_PASS);
  xmpptls_policy_free(p);
  free(ec);

  /* The store may go: the configuration holds its share. A restarted
   * endpoint reads the stored pin back. */
  xmpptls_pin_store_free(store);
  xmpptls_endpoint_free(romeo);
  CHECK(xmpptls_endpoint_new_with_config(cfg, NULL, NULL, &romeo) == XMPPTLS_OK);
  xmpptls_endpoint_peer_unavailable(juliet, ROMEO);
  discard_transmits(juliet);
  CHECK(xmpptls_endpoint_open(romeo, JULIET, NOW) == XMPPTLS_OK);
  CHECK(pump(romeo, juliet) == 0);
  int c2[5] = {0};
  f = 0;
  CHECK(drain(romeo, c2, "\"status\":\"match\"", &f) == 0 && f == 1 && db.saves == 2);

  /* The user accepts a new key: forgetting the pin empties the storage. */
  CHECK(xmpptls_endpoint_forget_pin(romeo, "juliet@capulet.lit") == XMPPTLS_OK);
  CHECK(db.count[j] == 0 && db.saves == 3);
  CHECK(xmpptls_endpoint_forget_pin(romeo, "juliet@capulet.lit") == XMPPTLS_EMPTY);
  xmpptls_endpoint_free(romeo);

  /* Pins added to the configuration and a pin store: one would be
   * ignored, so the endpoint is refused. */
  CHECK(xmpptls_endpoint_config_add_pin(cfg, "juliet@capulet.lit",
        "1111111111111111111111111111111111111111111111111111111111111111") == XMPPTLS_OK);
  romeo = NULL;
  CHECK(xmpptls_endpoint_new_with_config(cfg, NULL, NULL, &romeo) == XMPPTLS_ERR_CONFIG && romeo == NULL);
  CHECK(xmpptls_endpoint_config_set_pin_store(cfg, NULL) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_new_with_config(cfg, NULL, NULL, &romeo) == XMPPTLS_OK);
  xmpptls_endpoint_free(romeo);
  xmpptls_endpoint_free(juliet);
  xmpptls_endpoint_config_free(cfg);
  return 0;
}

static int test_trust_on_first_use_with_persistence_callback(void) {
  struct pins_seen seen = {0};
  xmpptls_endpoint_config *cfg = NULL;
  xmpptls_endpoint *romeo = NULL, *juliet = NULL;
  CHECK(xmpptls_endpoint_config_new(ROMEO, &cfg) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_config_set_trust(cfg, XMPPTLS_TRUST_ON_FIRST_USE) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_new_with_config(cfg, on_pin, &seen, &romeo) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_new(JULIET, XMPPTLS_TRUST_OFFER, &juliet) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_open(romeo, JULIET, NOW) == XMPPTLS_OK);
  CHECK(pump(romeo, juliet) == 0);
  int c[5] = {0}, f = 0;
  CHECK(drain(romeo, c, NULL, &f) == 0 && c[XMPPTLS_EVENT_ESTABLISHED] == 1);
  CHECK(seen.calls == 1 && strcmp(seen.jid, "juliet@capulet.lit") == 0 && strlen(seen.pin) == 64);
  size_t len = 0, w = 0;
  CHECK(xmpptls_endpoint_pins_json_len(romeo, &len) == XMPPTLS_OK);
  char *json = malloc(len + 1);
  CHECK(xmpptls_endpoint_pins_json(romeo, json, len + 1, &w) == XMPPTLS_OK && strstr(json, seen.pin) != NULL);
  xmpptls_endpoint_free(romeo);

  /* Next run: the saved store is loaded back; the same key matches and no
   * new pin is reported. */
  struct pins_seen again = {0};
  CHECK(xmpptls_endpoint_config_load_pins_json(cfg, json, w) == XMPPTLS_OK);
  free(json);
  CHECK(xmpptls_endpoint_config_load_pins_json(cfg, "{\"pins\":7}", 10) == XMPPTLS_ERR_PIN_STORE);
  CHECK(xmpptls_endpoint_new_with_config(cfg, on_pin, &again, &romeo) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_open(romeo, JULIET, NOW) == XMPPTLS_OK);
  xmpptls_endpoint_peer_unavailable(juliet, ROMEO);
  CHECK(pump(romeo, juliet) == 0);
  int c2[5] = {0};
  CHECK(drain(romeo, c2, "\"status\":\"match\"", &f) == 0 && f == 1);
  CHECK(again.calls == 0);
  xmpptls_endpoint_free(romeo);

  /* Pinned-only with a wrong pin: juliet's first handshake flight is
   * refused and the tunnel closes. */
  xmpptls_endpoint_config *pinned = NULL;
  CHECK(xmpptls_endpoint_config_new(ROMEO, &pinned) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_config_set_trust(pinned, XMPPTLS_TRUST_PINNED) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_config_add_pin(pinned, "juliet@capulet.lit",
        "0000000000000000000000000000000000000000000000000000000000000000") == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_new_with_config(pinned, NULL, NULL, &romeo) == XMPPTLS_OK);
  xmpptls_endpoint_peer_unavailable(juliet, ROMEO);
  CHECK(xmpptls_endpoint_open(romeo, JULIET, NOW) == XMPPTLS_OK);
  CHECK(pump(romeo, juliet) == -1 && pump_error == XMPPTLS_ERR_TRUST);
  int c3[5] = {0};
  CHECK(drain(romeo, c3, NULL, &f) == 0 && c3[XMPPTLS_EVENT_ESTABLISHED] == 0 && c3[XMPPTLS_EVENT_CLOSED] == 1);

  /* Trust on first use with a different key pinned: the change is refused
   * and the closed event names both keys. */
  xmpptls_endpoint_config *changed = NULL;
  CHECK(xmpptls_endpoint_config_new(ROMEO, &changed) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_config_add_pin(changed, "juliet@capulet.lit",
        "1111111111111111111111111111111111111111111111111111111111111111") == XMPPTLS_OK);
  xmpptls_endpoint_free(romeo);
  CHECK(xmpptls_endpoint_new_with_config(changed, on_pin, &again, &romeo) == XMPPTLS_OK);
  xmpptls_endpoint_peer_unavailable(juliet, ROMEO);
  discard_transmits(juliet); /* answers to the romeo that is gone */
  CHECK(xmpptls_endpoint_open(romeo, JULIET, NOW) == XMPPTLS_OK);
  CHECK(pump(romeo, juliet) == -1 && pump_error == XMPPTLS_ERR_TRUST);
  int c4[5] = {0};
  f = 0;
  CHECK(drain(romeo, c4, "key changed since first use (pinned 1111", &f) == 0 && f == 1);
  CHECK(c4[XMPPTLS_EVENT_CLOSED] == 1 && c4[XMPPTLS_EVENT_ESTABLISHED] == 0 && again.calls == 0);
  xmpptls_endpoint_config_free(changed);

  CHECK(xmpptls_endpoint_config_set_trust(cfg, 99) == XMPPTLS_ERR_UNKNOWN_NAME);
  CHECK(xmpptls_endpoint_config_add_pin(cfg, "a@b", "not hex") == XMPPTLS_INVALID_PARAMETER);
  CHECK(xmpptls_endpoint_config_set_identity_pem(cfg, "junk", 4, "junk", 4) == XMPPTLS_ERR_CERTIFICATE);
  CHECK(xmpptls_endpoint_new_with_config(NULL, NULL, NULL, &romeo) == XMPPTLS_NULL_PARAMETER);
  xmpptls_endpoint_config_free(cfg);
  xmpptls_endpoint_config_free(pinned);
  xmpptls_endpoint_config_free(NULL);
  xmpptls_endpoint_free(romeo);
  xmpptls_endpoint_free(juliet);
  return 0;
}

static char *identity_text(const xmpptls_identity *id, uint32_t which) {
  size_t n = 0, w = 0;
  if (xmpptls_identity_text_len(id, which, &n) != XMPPTLS_OK) return NULL;
  char *buf = malloc(n + 1);
  if (!buf || xmpptls_identity_text(id, which, buf, n + 1, &w) != XMPPTLS_OK || w != n) {
    free(buf);
    return NULL;
  }
  return buf;
}

/* Trust on first use across restarts: the application generates its
 * identity once, stores the PEM, and loads it on the next start, so its
 * pin at its peers stays the same and they keep accepting it. */
static int test_identity_kept_across_restarts(void) {
  xmpptls_identity *id = NULL;
  CHECK(xmpptls_identity_generate(ROMEO, &id) == XMPPTLS_OK);
  char *chain = identity_text(id, XMPPTLS_IDENTITY_CHAIN_PEM);
  char *key = identity_text(id, XMPPTLS_IDENTITY_KEY_PEM);
  char *pin = identity_text(id, XMPPTLS_IDENTITY_PIN);
  CHECK(chain && key && pin && strlen(pin) == 64);
  CHECK(strstr(chain, "-----BEGIN CERTIFICATE-----") && strstr(key, "PRIVATE KEY-----"));
  char *buf = NULL;
  size_t w = 0;
  CHECK(xmpptls_identity_text(id, 9, buf, 0, &w) == XMPPTLS_INVALID_PARAMETER);
  xmpptls_identity_free(id);

  /* "Restart": the stored PEM comes back, and so does the pin. */
  xmpptls_endpoint *juliet = NULL;
  CHECK(xmpptls_endpoint_new(JULIET, XMPPTLS_TRUST_ON_FIRST_USE, &juliet) == XMPPTLS_OK);
  for (int run = 0; run < 2; run++) {
    xmpptls_identity *loaded = NULL;
    CHECK(xmpptls_identity_from_pem(chain, strlen(chain), key, strlen(key), &loaded) == XMPPTLS_OK);
    xmpptls_endpoint_config *cfg = NULL;
    CHECK(xmpptls_endpoint_config_new(ROMEO, &cfg) == XMPPTLS_OK);
    CHECK(xmpptls_endpoint_config_set_identity(cfg, loaded) == XMPPTLS_OK);
    xmpptls_identity_free(loaded);
    xmpptls_endpoint *romeo = NULL;
    CHECK(xmpptls_endpoint_new_with_config(cfg, NULL, NULL, &romeo) == XMPPTLS_OK);
    xmpptls_endpoint_config_free(cfg);
    char local[65];
    CHECK(xmpptls_endpoint_local_pin(romeo, local, sizeof local, &w) == XMPPTLS_OK && w == 64);
    CHECK(strcmp(local, pin) == 0);
    CHECK(xmpptls_endpoint_local_pin(romeo, local, 64, &w) == XMPPTLS_BUFFER_TOO_SMALL);
    /* Juliet pinned romeo's key in the first run and accepts it again. */
    xmpptls_endpoint_peer_unavailable(juliet, ROMEO);
    discard_transmits(juliet);
    CHECK(xmpptls_endpoint_open(romeo, JULIET, NOW) == XMPPTLS_OK);
    CHECK(pump(romeo, juliet) == 0);
    int c[5] = {0}, f = 0;
    CHECK(drain(juliet, c, run == 0 ? "\"status\":\"new\"" : "\"status\":\"match\"", &f) == 0 && f == 1);
    CHECK(c[XMPPTLS_EVENT_ESTABLISHED] == 1);
    xmpptls_endpoint_free(romeo);
  }
  xmpptls_identity *bad = NULL;
  CHECK(xmpptls_identity_from_pem("junk", 4, key, strlen(key), &bad) == XMPPTLS_ERR_CERTIFICATE && bad == NULL);
  CHECK(xmpptls_identity_generate("not a jid@", &bad) == XMPPTLS_ERR_INVALID_JID && bad == NULL);
  xmpptls_endpoint_free(juliet);
  free(chain);
  free(key);
  free(pin);
  return 0;
}

static xmpptls_endpoint *pkix_endpoint(const char *jid, const char *name) {
  char file[64];
  size_t chain_len = 0, key_len = 0, ca_len = 0;
  snprintf(file, sizeof file, "%s.pem", name);
  uint8_t *chain = read_file(file, &chain_len);
  snprintf(file, sizeof file, "%s.key", name);
  uint8_t *key = read_file(file, &key_len);
  uint8_t *ca = read_file("ca.pem", &ca_len);
  xmpptls_endpoint_config *cfg = NULL;
  xmpptls_endpoint *ep = NULL;
  if (chain && key && ca && xmpptls_endpoint_config_new(jid, &cfg) == XMPPTLS_OK &&
      xmpptls_endpoint_config_set_identity_pem(cfg, (const char *)chain, chain_len, (const char *)key, key_len) == XMPPTLS_OK &&
      xmpptls_endpoint_config_add_root_pem(cfg, (const char *)ca, ca_len) == XMPPTLS_OK &&
      xmpptls_endpoint_config_set_trust(cfg, XMPPTLS_TRUST_PKIX) == XMPPTLS_OK) {
    if (xmpptls_endpoint_new_with_config(cfg, NULL, NULL, &ep) != XMPPTLS_OK) ep = NULL;
  }
  xmpptls_endpoint_config_free(cfg);
  free(chain);
  free(key);
  free(ca);
  return ep;
}

static int test_pkix_tunnel_with_pem_identities(void) {
  xmpptls_endpoint *romeo = pkix_endpoint(ROMEO, "romeo"), *juliet = pkix_endpoint(JULIET, "juliet");
  CHECK(romeo && juliet);
  CHECK(xmpptls_endpoint_open(romeo, JULIET, NOW) == XMPPTLS_OK);
  CHECK(pump(romeo, juliet) == 0);
  int c[5] = {0}, f = 0;
  CHECK(drain(romeo, c, "\"authentication\":\"pkix\"", &f) == 0 && f == 1);
  CHECK(c[XMPPTLS_EVENT_ESTABLISHED] == 1);
  xmpptls_endpoint_free(romeo);
  xmpptls_endpoint_free(juliet);
  return 0;
}

/* RFC 5929 §4.1: the certificate hashed with its signature's hash,
 * compared with openssl's digest of the same DER. */
static int test_tls_server_end_point(void) {
  const char *cases[][2] = {{"ec.der", "ec.sha256"}, {"p384.der", "p384.sha384"}};
  uint8_t out[XMPPTLS_TLS_SERVER_END_POINT_MAX];
  size_t w = 0;
  for (size_t i = 0; i < 2; i++) {
    size_t der_len = 0, want_len = 0;
    uint8_t *der = read_file(cases[i][0], &der_len), *want = read_file(cases[i][1], &want_len);
    CHECK(der && want);
    CHECK(xmpptls_tls_server_end_point(der, der_len, out, sizeof out, &w) == XMPPTLS_OK);
    CHECK(w == want_len && memcmp(out, want, w) == 0);
    CHECK(xmpptls_tls_server_end_point(der, der_len, out, w, &w) == XMPPTLS_BUFFER_TOO_SMALL);
    free(der);
    free(want);
  }
  size_t ed_len = 0;
  uint8_t *ed = read_file("ed25519.der", &ed_len);
  CHECK(ed);
  CHECK(xmpptls_tls_server_end_point(ed, ed_len, out, sizeof out, &w) == XMPPTLS_ERR_CHANNEL_BINDING);
  free(ed);
  CHECK(xmpptls_tls_server_end_point((const uint8_t *)"junk", 4, out, sizeof out, &w) == XMPPTLS_ERR_CERTIFICATE);
  CHECK(xmpptls_tls_server_end_point(NULL, 4, out, sizeof out, &w) == XMPPTLS_NULL_PARAMETER);
  return 0;
}

/* RFC 6698 / RFC 7671: a DANE-EE 3 1 1 record of the EC certificate's key,
 * after a record that does not match; only a DNSSEC-secure RRset counts. */
static int test_dane(void) {
  size_t der_len = 0, hash_len = 0;
  uint8_t *der = read_file("ec.der", &der_len), *hash = read_file("ec.spki.sha256", &hash_len);
  CHECK(der && hash && hash_len == 32);
  uint8_t wrong[35] = {3, 1, 1}, right[35] = {3, 1, 1};
  memcpy(right + 3, hash, 32);
  const uint8_t *rdata[2] = {wrong, right};
  size_t rdata_len[2] = {35, 35};
  xmpptls_der chain[1] = {{der, der_len}};
  uint32_t outcome = 0;
  size_t record = 99;
#define DANE(n, secure) xmpptls_dane_verify(rdata, rdata_len, n, secure, chain, 1, "example.net", \
                                            "xmpp.example.net", XMPPTLS_SERVICE_CLIENT, NULL, 0, NOW, &outcome, &record)
  CHECK(DANE(2, 1) == XMPPTLS_OK && outcome == XMPPTLS_DANE_AUTHENTICATED && record == 1);
  record = 99;
  CHECK(DANE(2, 0) == XMPPTLS_OK && outcome == XMPPTLS_DANE_NOT_APPLICABLE && record == 99);
  CHECK(DANE(1, 1) == XMPPTLS_OK && outcome == XMPPTLS_DANE_FAILED && record == 99);
  rdata_len[0] = 3;
  CHECK(DANE(2, 1) == XMPPTLS_INVALID_PARAMETER);
#undef DANE
  CHECK(xmpptls_dane_verify(NULL, rdata_len, 2, 1, chain, 1, "example.net", NULL, XMPPTLS_SERVICE_CLIENT,
                            NULL, 0, NOW, &outcome, &record) == XMPPTLS_NULL_PARAMETER);
  free(der);
  free(hash);
  return 0;
}

static xmpptls_result posh_check(const char *doc, const char *followed, const uint8_t *der, size_t der_len,
                                 uint64_t fetched_at, uint32_t *outcome) {
  return xmpptls_posh_verify(doc, strlen(doc), followed,
                             followed ? strlen(followed) : 0, der, der_len, fetched_at, NOW, outcome);
}

/* RFC 7711: a document with the EC certificate's SHA-256 (base64 by
 * openssl), expiry, one redirect and the ways a document can be wrong. */
static int test_posh(void) {
  size_t der_len = 0, other_len = 0, b64_len = 0;
  uint8_t *der = read_file("ec.der", &der_len), *other = read_file("p384.der", &other_len);
  char *b64 = (char *)read_file("ec.sha256.b64", &b64_len);
  CHECK(der && other && b64);
  char doc[256];
  snprintf(doc, sizeof doc, "{\"fingerprints\":[{\"sha-256\":\"%.*s\"}],\"expires\":3600}", (int)b64_len, b64);
  const char *redirect = "{\"url\":\"https://hosting.example/posh/xmpp-client.json\",\"expires\":600}";
  const char *insecure = "{\"url\":\"http://hosting.example/posh.json\",\"expires\":600}";
  const char *md5_only = "{\"fingerprints\":[{\"md5\":\"AAAAAAAAAAAAAAAAAAAAAA==\"}],\"expires\":600}";
  uint32_t o = 0;
#define POSH(d, f, cert, cert_len, at) posh_check(d, f, cert, cert_len, at, &o)
  CHECK(POSH(doc, NULL, der, der_len, NOW) == XMPPTLS_OK && o == XMPPTLS_POSH_MATCH);
  CHECK(POSH(doc, NULL, other, other_len, NOW) == XMPPTLS_OK && o == XMPPTLS_POSH_NO_MATCH);
  CHECK(POSH(doc, NULL, der, der_len, NOW - 7200) == XMPPTLS_OK && o == XMPPTLS_POSH_EXPIRED);
  CHECK(POSH(redirect, NULL, der, der_len, NOW) == XMPPTLS_OK && o == XMPPTLS_POSH_REDIRECT_NOT_FOLLOWED);
  CHECK(POSH(redirect, doc, der, der_len, NOW) == XMPPTLS_OK && o == XMPPTLS_POSH_MATCH);
  /* The redirect's shorter expiry applies to the pair. */
  CHECK(POSH(redirect, doc, der, der_len, NOW - 1200) == XMPPTLS_OK && o == XMPPTLS_POSH_EXPIRED);
  CHECK(POSH(redirect, redirect, der, der_len, NOW) == XMPPTLS_OK && o == XMPPTLS_POSH_TOO_MANY_REDIRECTS);
  CHECK(POSH(insecure, NULL, der, der_len, NOW) == XMPPTLS_OK && o == XMPPTLS_POSH_INSECURE_REDIRECT);
  CHECK(POSH(md5_only, NULL, der, der_len, NOW) == XMPPTLS_OK && o == XMPPTLS_POSH_NO_USABLE_FINGERPRINT);
  CHECK(POSH("junk", NULL, der, der_len, NOW) == XMPPTLS_OK && o == XMPPTLS_POSH_MALFORMED);
#undef POSH
  char url[128];
  size_t w = 0;
  CHECK(xmpptls_posh_redirect_url(redirect, strlen(redirect), url, sizeof url, &w) == XMPPTLS_OK);
  CHECK(strcmp(url, "https://hosting.example/posh/xmpp-client.json") == 0 && w == strlen(url));
  CHECK(xmpptls_posh_redirect_url(doc, strlen(doc), url, sizeof url, &w) == XMPPTLS_EMPTY);
  CHECK(xmpptls_posh_redirect_url("junk", 4, url, sizeof url, &w) == XMPPTLS_INVALID_PARAMETER);
  free(der);
  free(other);
  free(b64);
  return 0;
}

/* XTLS §6: the feature string, and reading a peer's disco#info answer. */
static int test_disco(void) {
  CHECK(strcmp(xmpptls_disco_feature(), "urn:xmpp:tmp:xtls") == 0);
  const char *yes = "<iq type='result' id='d1' from='juliet@capulet.lit/balcony'>"
                    "<query xmlns='http://jabber.org/protocol/disco#info'>"
                    "<feature var='urn:xmpp:tmp:xtls'/></query></iq>";
  const char *no = "<iq type='result' id='d1'><query xmlns='http://jabber.org/protocol/disco#info'>"
                   "<feature var='urn:xmpp:ping'/></query></iq>";
  const char *error = "<iq type='error' id='d1'><query xmlns='http://jabber.org/protocol/disco#info'>"
                      "<feature var='urn:xmpp:tmp:xtls'/></query></iq>";
  int s = -1;
  CHECK(xmpptls_disco_supports_xtls(yes, strlen(yes), &s) == XMPPTLS_OK && s == 1);
  CHECK(xmpptls_disco_supports_xtls(no, strlen(no), &s) == XMPPTLS_OK && s == 0);
  s = -1;
  CHECK(xmpptls_disco_supports_xtls(error, strlen(error), &s) == XMPPTLS_OK && s == 0);
  s = -1;
  CHECK(xmpptls_disco_supports_xtls("<iq", 3, &s) == XMPPTLS_ERR_XML && s == -1);
  return 0;
}

/* RFC 6120 §5.4 and RFC 7590 §3.1: offered, required, stripped. */
static int test_starttls_decisions(void) {
  const char *offered = "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>";
  const char *required = "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>";
  const char *stripped = "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>";
#define FEATURES(text, req, attempt, d) xmpptls_starttls_on_features((text), strlen(text), req, attempt, d)
  uint32_t d = 0;
  CHECK(FEATURES(offered, 1, 1, &d) == XMPPTLS_OK && d == XMPPTLS_FEATURES_STARTTLS);
  CHECK(FEATURES(required, 1, 1, &d) == XMPPTLS_OK && d == XMPPTLS_FEATURES_STARTTLS_REQUIRED);
  CHECK(FEATURES(stripped, 1, 1, &d) == XMPPTLS_OK && d == XMPPTLS_FEATURES_STARTTLS_NOT_OFFERED);
  CHECK(FEATURES(stripped, 1, 0, &d) == XMPPTLS_OK && d == XMPPTLS_FEATURES_REFUSE);
  CHECK(FEATURES(stripped, 0, 0, &d) == XMPPTLS_OK && d == XMPPTLS_FEATURES_PLAINTEXT);
  d = 77;
  CHECK(FEATURES("<message/>", 1, 1, &d) == XMPPTLS_ERR_NOT_A_STANZA && d == 77);
  CHECK(FEATURES(offered, 1, 1, NULL) == XMPPTLS_NULL_PARAMETER);
#undef FEATURES
  const char *proceed = "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
  const char *failure = "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
  const char *other = "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>";
  int p = -1;
  CHECK(xmpptls_starttls_on_answer(proceed, strlen(proceed), &p) == XMPPTLS_OK && p == 1);
  CHECK(xmpptls_starttls_on_answer(failure, strlen(failure), &p) == XMPPTLS_OK && p == 0);
  p = -1;
  CHECK(xmpptls_starttls_on_answer(other, strlen(other), &p) == XMPPTLS_ERR_BAD_REQUEST && p == -1);
  return 0;
}

static int test_no_panic_crosses_the_boundary(void) {
  CHECK(xmpptls_test_panic() == XMPPTLS_PANIC);
  return 0;
}

/* Every limit is set by its core name; an unknown name is refused; the
 * start gate refuses strangers before any tunnel exists. */
static int test_limits_and_start_gate(void) {
  uint64_t t0 = NOW, v = 0, deadline = 0;
  xmpptls_endpoint_config *cfg = NULL;
  xmpptls_endpoint *romeo = NULL, *juliet = NULL, *nurse = NULL;
  CHECK(xmpptls_endpoint_config_new(ROMEO, &cfg) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_config_get_limit(cfg, "ack_timeout_secs", &v) == XMPPTLS_OK && v == 30);
  CHECK(xmpptls_endpoint_config_get_limit(cfg, "max_half_open", &v) == XMPPTLS_OK && v == 16);
  CHECK(xmpptls_endpoint_config_get_limit(cfg, "initial_window_bytes", &v) == XMPPTLS_OK && v == 16413);
  CHECK(xmpptls_endpoint_config_set_limit(cfg, "ack_timeout", 1) == XMPPTLS_ERR_CONFIG);
  CHECK(xmpptls_endpoint_config_get_limit(cfg, "nope", &v) == XMPPTLS_ERR_CONFIG);
  CHECK(xmpptls_endpoint_config_set_limit(cfg, NULL, 1) == XMPPTLS_NULL_PARAMETER);
  /* A value no endpoint can work with is refused when it is made. */
  CHECK(xmpptls_endpoint_config_set_limit(cfg, "max_half_open", 0) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_new_with_config(cfg, NULL, NULL, &romeo) == XMPPTLS_ERR_CONFIG && romeo == NULL);
  CHECK(xmpptls_endpoint_config_set_limit(cfg, "max_half_open", 16) == XMPPTLS_OK);
  /* The start deadline reaches the core. */
  CHECK(xmpptls_endpoint_config_set_limit(cfg, "start_timeout_secs", 5) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_new_with_config(cfg, NULL, NULL, &romeo) == XMPPTLS_OK);
  xmpptls_endpoint_config_free(cfg);
  CHECK(xmpptls_endpoint_open(romeo, JULIET, t0) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_poll_timeout(romeo, &deadline) == XMPPTLS_OK && deadline == t0 + 5);

  CHECK(xmpptls_endpoint_new(JULIET, XMPPTLS_TRUST_OFFER, &juliet) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_new("nurse@capulet.lit/chamber", XMPPTLS_TRUST_OFFER, &nurse) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_restrict_starts(juliet, 1) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_allow_starts_from(juliet, "romeo@montague.lit") == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_allow_starts_from(juliet, "not a jid@") != XMPPTLS_OK);
  CHECK(xmpptls_endpoint_open(nurse, JULIET, t0) == XMPPTLS_OK);
  /* Juliet refuses the nurse's start (handle_incoming reports it) and
   * answers service-unavailable, which ends the nurse's tunnel. */
  CHECK(pump_one(nurse, juliet) == -1 && pump_error == XMPPTLS_ERR_DISABLED);
  CHECK(xmpptls_endpoint_tunnel_count(juliet) == 0 && xmpptls_endpoint_half_open_count(juliet) == 0);
  CHECK(pump_one(juliet, nurse) == 1);
  CHECK(xmpptls_endpoint_tunnel_count(nurse) == 0);
  CHECK(pump(romeo, juliet) == 0);
  CHECK(xmpptls_endpoint_tunnel_count(juliet) == 1);
  CHECK(xmpptls_endpoint_path_rate(romeo, JULIET, &v) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_path_rate(romeo, "nurse@capulet.lit/chamber", &v) == XMPPTLS_EMPTY);
  /* poll_write: the stanzas of a turn in one text, then the keepalive. */
  const char *w = NULL;
  size_t wlen = 0;
  int h = 0;
  /* The handshake ended with an answer to romeo's acknowledgement of the
   * session tickets (they came in an IQ result): a read that wrote nothing,
   * so a keepalive space is due first. */
  CHECK(xmpptls_endpoint_poll_write(romeo, &w, &wlen) == XMPPTLS_OK && wlen == 1 && w[0] == ' ');
  CHECK(xmpptls_endpoint_poll_write(romeo, &w, &wlen) == XMPPTLS_EMPTY);
  const char *one = "<message><body>one</body></message>";
  CHECK(xmpptls_endpoint_send(romeo, JULIET, one, strlen(one), t0) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_poll_write(romeo, &w, &wlen) == XMPPTLS_OK && wlen > 0);
  CHECK(strncmp(w, "<iq", 3) == 0 && w[wlen - 1] == '>');
  CHECK(xmpptls_endpoint_handle_incoming(juliet, w, wlen, t0, &h) == XMPPTLS_OK && h == 1);
  CHECK(xmpptls_endpoint_poll_write(juliet, &w, &wlen) == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_handle_incoming(romeo, w, wlen, t0, &h) == XMPPTLS_OK && h == 1);
  CHECK(xmpptls_endpoint_poll_write(romeo, &w, &wlen) == XMPPTLS_OK && wlen == 1 && w[0] == ' ');
  CHECK(xmpptls_endpoint_poll_write(romeo, NULL, &wlen) == XMPPTLS_NULL_PARAMETER);
  CHECK(xmpptls_endpoint_revoke_starts_from(juliet, "romeo@montague.lit") == XMPPTLS_OK);
  CHECK(xmpptls_endpoint_revoke_starts_from(juliet, "romeo@montague.lit") == XMPPTLS_EMPTY);
  xmpptls_endpoint_free(romeo);
  xmpptls_endpoint_free(juliet);
  xmpptls_endpoint_free(nurse);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s CERT_DIR\n", argv[0]);
    return 2;
  }
  cert_dir = argv[1];
  RUN(test_version_and_messages);
  RUN(test_tunnel_messages_both_ways_and_close);
  RUN(test_deadlines_keepalive_and_returned_stanzas);
  RUN(test_limits_and_start_gate);
  RUN(test_report_json_in_established_event);
  RUN(test_post_quantum);
  RUN(test_every_setting_reaches_the_core);
  RUN(test_simultaneous_start);
  RUN(test_bad_input_and_null_arguments);
  RUN(test_evaluate_a_connection_made_by_another_stack);
  RUN(test_policy_knobs);
  RUN(test_certificate_identity);
  RUN(test_server_check_with_pins);
  RUN(test_borrowed_views);
  RUN(test_trust_on_first_use_with_persistence_callback);
  RUN(test_pin_store_in_application_storage);
  RUN(test_identity_kept_across_restarts);
  RUN(test_pkix_tunnel_with_pem_identities);
  RUN(test_tls_server_end_point);
  RUN(test_starttls_decisions);
  RUN(test_dane);
  RUN(test_posh);
  RUN(test_disco);
  RUN(test_no_panic_crosses_the_boundary);
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
