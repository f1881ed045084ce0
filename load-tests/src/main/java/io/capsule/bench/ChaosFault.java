package io.capsule.bench;

/**
 * One fault the chaos run injected.
 *
 * @param kind what: {@code worker-kill}, {@code leader-kill}, {@code coordinator-kill}, {@code
 *     worker-freeze}, {@code proxy-stall}
 * @param target which worker or broker
 * @param startMillis when it began (epoch ms)
 * @param endMillis when it was over: the worker or broker back, thawed, the proxy healed
 */
record ChaosFault(String kind, String target, long startMillis, long endMillis) {}
