"""The bot's schedules, one module each; `bot.app.schedule_jobs` puts them on the job queue.

- polling: `bot.poller` (every POLL_INTERVAL; its own memory, spread and time limit)
- `housekeeping`: the heartbeat `healthcheck` reads, and the daily prune of old notifications
- `digests`: the monthly digests on the 1st, fetched in paced batches beside the polls
"""
