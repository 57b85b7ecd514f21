"""Every text the bot shows, as Telegram HTML, per language.

`format` holds the one escaping rule and the number/time formats, `catalog` the sentences,
`notifications` what a chat is told when something happens, `replies` what commands answer and
`settings` the settings menu.
"""
