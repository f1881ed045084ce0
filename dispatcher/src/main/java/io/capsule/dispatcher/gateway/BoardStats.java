package io.capsule.dispatcher.gateway;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

/**
 * The dashboard's figures ({@code GET /v1/stats}) over the tasks the view holds.
 *
 * @param tracked how many tasks the view holds
 * @param byState counts per state (wire names), every state present
 * @param byLevel counts per level, then per state
 * @param finishedLastMinute tasks that reached a final state in the last 60 seconds
 * @param throughputPerSecond {@code finishedLastMinute / 60}
 * @param at epoch ms when these figures were taken
 */
record BoardStats(
    @JsonProperty("tracked") int tracked,
    @JsonProperty("by_state") Map<String, Long> byState,
    @JsonProperty("by_level") Map<String, Map<String, Long>> byLevel,
    @JsonProperty("finished_last_minute") long finishedLastMinute,
    @JsonProperty("throughput_per_second") double throughputPerSecond,
    @JsonProperty("at") long at) {}
