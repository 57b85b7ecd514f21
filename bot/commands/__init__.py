"""What the bot answers, for Telegram and the demo alike: every rule and decision, no Telegram.

table.py     COMMANDS: where each command may be used, which subject answers it; the menus
dispatch.py  Answers: applies the table's rules and routes commands and buttons
asked.py     who asks where (Person, Place, Asked) and what the subjects need (Deps)
accounts.py  an account's figures read from Joulo, cached
linking.py   /start /help /link /unlink /subscribe /unsubscribe, pasted tokens, membership
invites.py   /invite, and its link's code redeemed in a group (`/start@bot <code>`)
status.py    /status /stats
history.py   /sessions /export /tag
settings.py  /settings and its buttons, /language /quiet /live /mute /unmute
"""

from bot.commands.asked import Asked, Person, Place
from bot.commands.dispatch import Answers
from bot.commands.linking import TOKEN_PATTERN, LinkOutcome, find_token
from bot.commands.table import COMMANDS, menu

__all__ = [
    "COMMANDS",
    "TOKEN_PATTERN",
    "Answers",
    "Asked",
    "LinkOutcome",
    "Person",
    "Place",
    "find_token",
    "menu",
]
