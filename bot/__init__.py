"""A Telegram bot that tells a household about its home EV charging, via the Joulo API."""
