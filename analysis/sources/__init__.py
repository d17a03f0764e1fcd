"""Where the responses come from: the LimeSurvey RemoteControl client and its JSON exports, immutable raw
snapshots, the offline import, credentials kept out of every message, and the synthetic demo source."""
