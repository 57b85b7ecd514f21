"""Every sentence the bot says, in English and Dutch, side by side; the command menu; `t()`.

Texts are Telegram HTML. `t()` fills the placeholders and escapes every value that is not
already `Html` (see `bot.core.text.format`), so a catalog entry may contain markup of its own and
no caller escapes anything. `plain()` is for the few places Telegram shows as plain text (button
labels, popups) and for files: it fills in values as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from bot.core.chart import ChartText
from bot.core.tags import tag_name
from bot.core.tariff import tariff_decimals
from bot.core.text.format import Html, Language, fmt, fmt_number

# One entry per message; keep the two languages side by side so they cannot drift apart.
TEXTS: Final[dict[str, dict[Language, str]]] = {
    # --- notifications ---
    "started": {
        "en": "🔌 <b>{charger}</b>: charging started at {time}{tag}",
        "nl": "🔌 <b>{charger}</b>: laden gestart om {time}{tag}",
    },
    "tag": {"en": " (tag {tag})", "nl": " (pas {tag})"},
    "new_card": {
        "en": "\n💳 A card you have not named yet. Name it: <code>/tag {tag} …</code>",
        "nl": "\n💳 Een pas die je nog geen naam gaf. Geef hem er een: <code>/tag {tag} …</code>",
    },
    "started_by": {
        "en": "🔌 {who} started charging at <b>{charger}</b> · {time}",
        "nl": "🔌 {who} is begonnen met laden bij <b>{charger}</b> · {time}",
    },
    "finished_by": {
        "en": "✅ {who} finished charging at <b>{charger}</b>\n{kwh} kWh in {duration}{power}",
        "nl": "✅ {who} is klaar met laden bij <b>{charger}</b>\n{kwh} kWh in {duration}{power}",
    },
    "finished": {
        "en": "✅ <b>{charger}</b>: charging finished{tag}\n{kwh} kWh in {duration}{power}",
        "nl": "✅ <b>{charger}</b>: klaar met laden{tag}\n{kwh} kWh in {duration}{power}",
    },
    "avg_power": {"en": " · avg {kw} kW", "nl": " · gem. {kw} kW"},
    "cost": {
        "en": "\n💶 Cost: {cost} ({kwh} kWh × {price})",
        "nl": "\n💶 Kosten: {cost} ({kwh} kWh × {price})",
    },
    "credits": {"en": "\nERE credits: {credits}", "nl": "\nERE-credits: {credits}"},
    "not_final": {
        "en": "\n<i>Last measured figures; Joulo had no final ones yet.</i>",
        "nl": "\n<i>Laatst gemeten waarden; Joulo had nog geen definitieve.</i>",
    },
    "while_away": {
        "en": "\n⏱ <i>Happened while the bot was away; reported late.</i>",
        "nl": "\n⏱ <i>Gebeurde terwijl de bot weg was; later gemeld.</i>",
    },
    "offline": {
        "en": "⚠️ <b>{charger}</b> is offline since {time} (status: {status})",
        "nl": "⚠️ <b>{charger}</b> is offline sinds {time} (status: {status})",
    },
    "online": {
        "en": "🟢 <b>{charger}</b> is back online (away for {duration})",
        "nl": "🟢 <b>{charger}</b> is weer online (was {duration} weg)",
    },
    "token_rejected": {
        "en": "🔑 Joulo no longer accepts your API token (rotated or revoked?). "
        "Notifications are paused.\nCreate a new token in the Joulo dashboard "
        "(Settings → API) and send it here with /link.",
        "nl": "🔑 Joulo accepteert je API-token niet meer (vernieuwd of ingetrokken?). "
        "Meldingen staan op pauze.\nMaak een nieuw token in het Joulo-dashboard "
        "(Instellingen → API) en stuur het hier met /link.",
    },
    "token_unreadable": {
        "en": "🔑 I can no longer read your stored Joulo token (the bot's encryption key was "
        "changed). Notifications are paused.\nPlease send your token again with /link.",
        "nl": "🔑 Ik kan je opgeslagen Joulo-token niet meer lezen (de encryptiesleutel van de "
        "bot is gewijzigd). Meldingen staan op pauze.\nStuur je token opnieuw met /link.",
    },
    "joulo_unreachable": {
        "en": "⏳ I can't reach Joulo for your account since {time}. Your chargers' last known "
        "state stands; I'll tell you when Joulo answers again.",
        "nl": "⏳ Ik kan Joulo voor je account niet bereiken sinds {time}. De laatst bekende "
        "stand van je laadpalen blijft staan; ik laat het weten zodra Joulo weer antwoordt.",
    },
    "joulo_recovered": {
        "en": "✅ Joulo answers again (it was unreachable for {duration}). Anything that "
        "happened meanwhile follows.",
        "nl": "✅ Joulo antwoordt weer (was {duration} onbereikbaar). Wat er intussen gebeurde, "
        "volgt.",
    },
    "group_lost": {
        "en": "ℹ️ I was removed from the group “{title}”, so it no longer gets your charging "
        "notifications. Add me again and send /subscribe there to resume.",
        "nl": "ℹ️ Ik ben uit de groep “{title}” verwijderd, dus die krijgt je laadmeldingen niet "
        "meer. Voeg me opnieuw toe en stuur daar /subscribe om verder te gaan.",
    },
    # --- /start, /help ---
    "start_private": {
        "en": "👋 Hi! I tell you and your family when your car starts charging at home, "
        "when it's done (kWh, time, ERE credits) and when a charger goes offline — "
        "using your <b>Joulo</b> account.\n\n"
        "<b>1.</b> In the Joulo dashboard open Settings → API → Activate and copy the token.\n"
        "<b>2.</b> Send it to me here: <code>/link joulo_…</code> (or just paste it). "
        "I delete the message and store the token encrypted.\n"
        "<b>3.</b> Add me to your family group and send /subscribe there.\n\n"
        "/help lists everything I can do.",
        "nl": "👋 Hoi! Ik laat jou en je gezin weten wanneer de auto thuis begint te laden, "
        "wanneer hij klaar is (kWh, tijd, ERE-credits) en wanneer een laadpaal offline gaat — "
        "via je <b>Joulo</b>-account.\n\n"
        "<b>1.</b> Open in het Joulo-dashboard Instellingen → API → Activeren en kopieer het "
        "token.\n"
        "<b>2.</b> Stuur het mij hier: <code>/link joulo_…</code> (of plak het gewoon). "
        "Ik verwijder het bericht en bewaar het token versleuteld.\n"
        "<b>3.</b> Voeg me toe aan je gezinsgroep en stuur daar /subscribe.\n\n"
        "/help laat zien wat ik allemaal kan.",
    },
    "start_private_linked": {
        "en": "\n\n✅ Your Joulo account is linked. Try /status.",
        "nl": "\n\n✅ Je Joulo-account is gekoppeld. Probeer /status.",
    },
    "welcome_group": {
        "en": "👋 Hi all! I report home charging from Joulo: started, finished and "
        "charger offline.\nWhoever has linked their Joulo account with me in a private chat "
        "can send /subscribe here to share its notifications with this group.",
        "nl": "👋 Hoi allemaal! Ik meld thuisladen via Joulo: gestart, klaar en laadpaal "
        "offline.\nWie zijn Joulo-account in een privéchat met mij heeft gekoppeld, kan hier "
        "/subscribe sturen om de meldingen met deze groep te delen.",
    },
    "help": {
        "en": "<b>What I can do</b>\n"
        "/status — chargers now: online, charging, kWh so far, power\n"
        "/stats — a chart and the figures: kWh, sessions, ERE credits and euros\n"
        "/sessions [charger] — the last charging sessions, page by page\n"
        "/export [YYYY | YYYY-MM] — a CSV file of a month's or year's sessions "
        "(default: last month)\n"
        "/statement [YYYY-MM] — a PDF of a month's charging to hand to your employer "
        "(default: last month)\n"
        "/help — this list\n\n"
        "<b>What this chat gets</b> (in a group: admins change it)\n"
        "/settings — which notifications, per-charger mute, live card, quiet hours, language, "
        "tariff\n"
        "/mute 2h — nothing here for a while (30m, 2h, 1d; /unmute ends it)\n"
        "/quiet 22:00-07:00 — messages arrive silently then (/quiet off)\n"
        "/live on|off — the started message shows the session live\n"
        "/pin on|off — pin the live card while the session runs\n"
        "/language nl|en — the language of this chat's notifications\n"
        "/tariff 0.25 — your price per kWh: what charging cost (/tariff off)\n\n"
        "<b>In a private chat</b>\n"
        "/start — how to get going\n"
        "/link &lt;token&gt; — link your Joulo account (Joulo dashboard → Settings → API)\n"
        "/unlink — forget your token and everything I stored for it\n"
        "/tag [card] [name] — name your charge cards, so messages say who charged\n"
        "/invite — a link that adds me to a group and shares your notifications there\n\n"
        "<b>In a group</b>\n"
        "/subscribe — send your account's notifications to this group\n"
        "/unsubscribe — stop them (your own account, or any as group admin)",
        "nl": "<b>Wat ik kan</b>\n"
        "/status — laadpalen nu: online, aan het laden, kWh tot nu toe, vermogen\n"
        "/stats — een grafiek en de cijfers: kWh, sessies, ERE-credits en euro's\n"
        "/sessions [laadpaal] — de laatste laadsessies, per pagina\n"
        "/export [JJJJ | JJJJ-MM] — een CSV-bestand met de sessies van een maand of jaar "
        "(standaard: vorige maand)\n"
        "/statement [JJJJ-MM] — een pdf van een maand laden voor je werkgever "
        "(standaard: vorige maand)\n"
        "/help — dit overzicht\n\n"
        "<b>Wat deze chat krijgt</b> (in een groep: beheerders wijzigen het)\n"
        "/settings — welke meldingen, laadpaal dempen, live kaart, stille uren, taal, tarief\n"
        "/mute 2u — hier even niets (30m, 2u, 1d; /unmute stopt het)\n"
        "/quiet 22:00-07:00 — berichten komen dan stil binnen (/quiet off)\n"
        "/live on|off — het startbericht toont de sessie live\n"
        "/pin on|off — zet de live kaart vast zolang de sessie loopt\n"
        "/language nl|en — de taal van de meldingen in deze chat\n"
        "/tariff 0,25 — je prijs per kWh: wat het laden kostte (/tariff off)\n\n"
        "<b>In een privéchat</b>\n"
        "/start — zo begin je\n"
        "/link &lt;token&gt; — koppel je Joulo-account (Joulo-dashboard → Instellingen → API)\n"
        "/unlink — vergeet je token en alles wat ik ervoor bewaarde\n"
        "/tag [pas] [naam] — geef je laadpassen een naam, dan zeggen meldingen wie er laadde\n"
        "/invite — een link die mij aan een groep toevoegt en je meldingen daar deelt\n\n"
        "<b>In een groep</b>\n"
        "/subscribe — stuur de meldingen van jouw account naar deze groep\n"
        "/unsubscribe — stop ze (je eigen account, of elk account als groepsbeheerder)",
    },
    "unknown_command": {
        "en": "I don't know that command. /help lists what I can do.",
        "nl": "Dat commando ken ik niet. /help laat zien wat ik kan.",
    },
    "private_bot": {
        "en": "Sorry, this bot is private: only its owner's household can link accounts.",
        "nl": "Sorry, deze bot is privé: alleen het huishouden van de eigenaar kan accounts "
        "koppelen.",
    },
    # --- linking ---
    "link_usage": {
        "en": "Send your Joulo API token like this: <code>/link joulo_…</code>\n"
        "You find it in the Joulo dashboard under Settings → API → Activate.",
        "nl": "Stuur je Joulo API-token zo: <code>/link joulo_…</code>\n"
        "Je vindt het in het Joulo-dashboard onder Instellingen → API → Activeren.",
    },
    "link_in_group": {
        "en": "⚠️ Never share your Joulo token in a group! {deleted}Please create a new token "
        "in the Joulo dashboard (Settings → API) — that makes the old one useless — and send "
        "it to me in a private chat.",
        "nl": "⚠️ Deel je Joulo-token nooit in een groep! {deleted}Maak een nieuw token in het "
        "Joulo-dashboard (Instellingen → API) — dan werkt het oude niet meer — en stuur het "
        "mij in een privéchat.",
    },
    "token_deleted_group": {
        "en": "I deleted the message. ",
        "nl": "Ik heb het bericht verwijderd. ",
    },
    "token_not_deleted_group": {
        "en": "I couldn't delete the message (I need admin rights for that). ",
        "nl": "Ik kon het bericht niet verwijderen (daarvoor heb ik beheerdersrechten nodig). ",
    },
    "token_not_deleted_private": {
        "en": "\n<i>I couldn't delete your message with the token; please delete it yourself.</i>",
        "nl": "\n<i>Ik kon je bericht met het token niet verwijderen; verwijder het zelf.</i>",
    },
    "link_checking": {
        "en": "Checking your token with Joulo…",
        "nl": "Token controleren bij Joulo…",
    },
    "link_ok": {
        "en": "✅ Linked! I found {count}:\n{chargers}\n\nI'll message you when charging "
        "starts or finishes and when a charger goes offline. Add me to your family group and "
        "send /subscribe there to share the news.",
        "nl": "✅ Gekoppeld! Ik vond {count}:\n{chargers}\n\nIk stuur je een bericht als het "
        "laden begint of klaar is en als een laadpaal offline gaat. Voeg me toe aan je "
        "gezinsgroep en stuur daar /subscribe om het nieuws te delen.",
    },
    "link_ok_no_chargers": {
        "en": "✅ Linked! Your Joulo account has no chargers yet; I'll start watching as soon "
        "as you add one in Joulo.",
        "nl": "✅ Gekoppeld! Je Joulo-account heeft nog geen laadpalen; ik let op zodra je er "
        "een toevoegt in Joulo.",
    },
    "link_relinked": {
        "en": "✅ Token updated; notifications continue.\n{chargers}",
        "nl": "✅ Token bijgewerkt; de meldingen gaan door.\n{chargers}",
    },
    "chargers_one": {"en": "{n} charger", "nl": "{n} laadpaal"},
    "chargers_other": {"en": "{n} chargers", "nl": "{n} laadpalen"},
    "sessions_one": {"en": "{n} session", "nl": "{n} sessie"},
    "sessions_other": {"en": "{n} sessions", "nl": "{n} sessies"},
    "link_rejected": {
        "en": "❌ Joulo did not accept that token. Check that you copied all of it, or create "
        "a new one in the Joulo dashboard (Settings → API). Nothing was stored.",
        "nl": "❌ Joulo accepteerde dat token niet. Controleer of je het helemaal hebt "
        "gekopieerd, of maak een nieuw token in het Joulo-dashboard (Instellingen → API). "
        "Er is niets opgeslagen.",
    },
    "link_rejected_kept": {
        "en": "\nYour previously linked token stays in use.",
        "nl": "\nJe eerder gekoppelde token blijft in gebruik.",
    },
    "link_unavailable": {
        "en": "⏳ I couldn't reach Joulo just now, so I couldn't check the token. Nothing "
        "was stored; please try again in a minute.",
        "nl": "⏳ Ik kon Joulo nu niet bereiken en het token dus niet controleren. Er is niets "
        "opgeslagen; probeer het over een minuut opnieuw.",
    },
    "link_taken": {
        "en": "❌ This Joulo account is already linked by someone else. Ask them to add me to "
        "a group with you and /subscribe there instead.",
        "nl": "❌ Dit Joulo-account is al door iemand anders gekoppeld. Vraag die persoon mij "
        "aan een groep met jou toe te voegen en daar /subscribe te sturen.",
    },
    "unlinked": {
        "en": "🗑 Done: I forgot your token, your chargers' state and all your group "
        "subscriptions. Send /link to start again.",
        "nl": "🗑 Klaar: ik ben je token, de status van je laadpalen en al je "
        "groepsabonnementen vergeten. Stuur /link om opnieuw te beginnen.",
    },
    "not_linked": {
        "en": "You haven't linked a Joulo account yet. Send /start in a private chat with me "
        "to see how.",
        "nl": "Je hebt nog geen Joulo-account gekoppeld. Stuur /start in een privéchat met mij "
        "om te zien hoe.",
    },
    "private_only": {
        "en": "That command works in a private chat with me.",
        "nl": "Dat commando werkt in een privéchat met mij.",
    },
    "group_only": {
        "en": "That command is for a group: add me to your family group and send it there.",
        "nl": "Dat commando is voor een groep: voeg me toe aan je gezinsgroep en stuur het daar.",
    },
    # --- subscriptions ---
    "subscribe_need_link": {
        "en": "{name}, link your Joulo account first: open a private chat with me and send "
        "/start. Then come back and send /subscribe here.",
        "nl": "{name}, koppel eerst je Joulo-account: open een privéchat met mij en stuur "
        "/start. Stuur daarna hier /subscribe.",
    },
    "subscribed": {
        "en": "🔔 This group now gets the charging notifications of {name}'s Joulo account. "
        "/status and /stats work here too.",
        "nl": "🔔 Deze groep krijgt nu de laadmeldingen van het Joulo-account van {name}. "
        "/status en /stats werken hier ook.",
    },
    "subscribed_thread": {
        "en": "\n📍 They come to this topic; /subscribe in another topic moves them there.",
        "nl": "\n📍 Ze komen in dit onderwerp; /subscribe in een ander onderwerp verhuist ze "
        "daarheen.",
    },
    "thread_moved_here": {
        "en": "📍 This group's notifications come to this topic from now on.",
        "nl": "📍 De meldingen van deze groep komen voortaan in dit onderwerp.",
    },
    "thread_moved_general": {
        "en": "📍 This group's notifications come to General from now on.",
        "nl": "📍 De meldingen van deze groep komen voortaan in Algemeen.",
    },
    "thread_gone": {
        "en": "📍 The topic this group's notifications went to is gone (deleted or closed), so "
        "they come here, to General, from now on. Send /subscribe in a topic to move them there.",
        "nl": "📍 Het onderwerp waar de meldingen van deze groep heen gingen is weg (verwijderd "
        "of gesloten), dus ze komen voortaan hier, in Algemeen. Stuur /subscribe in een "
        "onderwerp om ze daarheen te verhuizen.",
    },
    "already_subscribed": {
        "en": "This group already gets the notifications of {name}'s account.",
        "nl": "Deze groep krijgt de meldingen van het account van {name} al.",
    },
    "unsubscribed": {
        "en": "🔕 This group no longer gets notifications for: {names}.",
        "nl": "🔕 Deze groep krijgt geen meldingen meer voor: {names}.",
    },
    "nothing_subscribed": {
        "en": "No Joulo account is subscribed in this group. Someone who linked an account "
        "with me can send /subscribe here.",
        "nl": "Er is geen Joulo-account geabonneerd in deze groep. Wie een account met mij "
        "heeft gekoppeld, kan hier /subscribe sturen.",
    },
    "unsubscribe_not_allowed": {
        "en": "Only the account's owner or a group admin can do that.",
        "nl": "Alleen de eigenaar van het account of een groepsbeheerder kan dat.",
    },
    # --- invite links ---
    "invite_link": {
        "en": "🔗 Your invite link:\n{link}\n\nOpen it (or press the button), pick your family "
        "group and add me: that group gets your charging notifications at once, no /subscribe "
        "needed. The link works once, for {hours} hours, and only for you or an admin of that "
        "group. Don't need it? Just let it expire.",
        "nl": "🔗 Je uitnodigingslink:\n{link}\n\nOpen hem (of druk op de knop), kies je "
        "gezinsgroep en voeg me toe: die groep krijgt meteen je laadmeldingen, zonder "
        "/subscribe. De link werkt één keer, {hours} uur lang, en alleen voor jou of een "
        "beheerder van die groep. Niet nodig? Laat hem gewoon verlopen.",
    },
    "invite_button": {"en": "➕ Add me to a group", "nl": "➕ Voeg me toe aan een groep"},
    "invite_need_link": {
        "en": "Link your Joulo account first with /link; then /invite gives you a link that "
        "adds me to your family group.",
        "nl": "Koppel eerst je Joulo-account met /link; daarna geeft /invite je een link die "
        "mij aan je gezinsgroep toevoegt.",
    },
    "invite_unknown": {
        "en": "❌ That invite link is not valid. Ask for a fresh one: send /invite to me in a "
        "private chat, then use the new link.",
        "nl": "❌ Die uitnodigingslink is niet geldig. Vraag een nieuwe: stuur /invite naar mij "
        "in een privéchat en gebruik de nieuwe link.",
    },
    "invite_used": {
        "en": "❌ That invite link was already used: each link works once. For another group, "
        "send /invite to me in a private chat for a fresh link.",
        "nl": "❌ Die uitnodigingslink is al gebruikt: elke link werkt één keer. Voor een andere "
        "groep: stuur /invite naar mij in een privéchat voor een nieuwe link.",
    },
    "invite_expired": {
        "en": "⌛ That invite link has expired (a link works for {hours} hours). Send /invite "
        "to me in a private chat for a fresh one.",
        "nl": "⌛ Die uitnodigingslink is verlopen (een link werkt {hours} uur). Stuur /invite "
        "naar mij in een privéchat voor een nieuwe.",
    },
    "invite_not_yours": {
        "en": "Only whoever made this invite link, or an admin of this group, can use it. "
        "Nothing changed; the link still works for them.",
        "nl": "Alleen wie deze uitnodigingslink maakte, of een beheerder van deze groep, kan "
        "hem gebruiken. Er is niets veranderd; de link werkt nog voor hen.",
    },
    "invite_owner_unlinked": {
        "en": "❌ Whoever made this invite link has no Joulo account linked with me any more, "
        "so there is nothing to share here.",
        "nl": "❌ Wie deze uitnodigingslink maakte, heeft geen Joulo-account meer aan mij "
        "gekoppeld, dus er is hier niets te delen.",
    },
    # --- /status ---
    "status_none_private": {
        "en": "No Joulo account linked yet. Send /start to see how.",
        "nl": "Nog geen Joulo-account gekoppeld. Stuur /start om te zien hoe.",
    },
    "status_no_chargers": {
        "en": "No chargers on this Joulo account yet.",
        "nl": "Nog geen laadpalen op dit Joulo-account.",
    },
    "account_header": {"en": "<b>{name}</b>", "nl": "<b>{name}</b>"},
    "charger_line": {"en": "<b>{charger}</b> — {state}", "nl": "<b>{charger}</b> — {state}"},
    "state_charging": {"en": "⚡ charging", "nl": "⚡ aan het laden"},
    "state_idle": {"en": "🟢 online, idle", "nl": "🟢 online, niet aan het laden"},
    "state_offline": {
        "en": "🔴 offline since {time} ({status})",
        "nl": "🔴 offline sinds {time} ({status})",
    },
    "session_line": {
        "en": "   {kwh} kWh · {duration} since {time}{power}{tag}",
        "nl": "   {kwh} kWh · {duration} sinds {time}{power}{tag}",
    },
    "power_now": {"en": " · ~{kw} kW", "nl": " · ~{kw} kW"},
    "data_age": {"en": "<i>Data from {age} ago.</i>", "nl": "<i>Gegevens van {age} geleden.</i>"},
    "data_age_fresh": {"en": "<i>Data from just now.</i>", "nl": "<i>Gegevens van zojuist.</i>"},
    "data_stale": {
        "en": "⏳ <i>Joulo hasn't answered since {time}; this is the last known state.</i>",
        "nl": "⏳ <i>Joulo antwoordt niet sinds {time}; dit is de laatst bekende stand.</i>",
    },
    "account_paused": {
        "en": "🔑 Paused: Joulo no longer accepts this account's token. {name} can send a new "
        "one with /link in a private chat.",
        "nl": "🔑 Gepauzeerd: Joulo accepteert het token van dit account niet meer. {name} kan "
        "een nieuw token sturen met /link in een privéchat.",
    },
    # --- /stats ---
    "stats_title": {"en": "📊 <b>Charging</b>", "nl": "📊 <b>Laden</b>"},
    "stats_row": {"en": "<b>{label}</b>: {body}", "nl": "<b>{label}</b>: {body}"},
    "stats_body": {
        "en": "{kwh} kWh{cost} · {sessions} · {credits} ERE credits",
        "nl": "{kwh} kWh{cost} · {sessions} · {credits} ERE-credits",
    },
    "stats_body_all": {
        "en": "{kwh} kWh{cost} · {sessions}\n   ERE: {ere_kwh} kWh · {credits} credits",
        "nl": "{kwh} kWh{cost} · {sessions}\n   ERE: {ere_kwh} kWh · {credits} credits",
    },
    "stats_cost": {"en": " · {cost}", "nl": " · {cost}"},
    "stats_note_tariff": {
        "en": "<i>€ after kWh: what charging cost at this chat's tariff, {price} per kWh.</i>",
        "nl": "<i>€ na kWh: wat het laden kostte tegen het tarief van deze chat, {price} per kWh."
        "</i>",
    },
    "this_month": {"en": "This month ({month})", "nl": "Deze maand ({month})"},
    "last_month": {"en": "Last month ({month})", "nl": "Vorige maand ({month})"},
    "this_year": {"en": "This year ({year})", "nl": "Dit jaar ({year})"},
    "lifetime": {"en": "Lifetime", "nl": "Totaal"},
    "stats_note_ere": {
        "en": "<i>ERE: the MID-metered part, which earns ERE credits.</i>",
        "nl": "<i>ERE: het deel met MID-meter, dat ERE-credits oplevert.</i>",
    },
    "stats_money": {
        "en": "💶 ERE in euros, {year}: {parts}",
        "nl": "💶 ERE in euro's, {year}: {parts}",
    },
    "stats_money_this_year": {"en": "this year", "nl": "dit jaar"},
    "stats_paid": {"en": "{eur} paid out", "nl": "{eur} uitbetaald"},
    "stats_to_come": {
        "en": "{eur} still to come <i>(Joulo's forecast)</i>",
        "nl": "{eur} nog te komen <i>(prognose van Joulo)</i>",
    },
    "stats_expected": {
        "en": "{eur} expected <i>(Joulo's forecast)</i>",
        "nl": "{eur} verwacht <i>(prognose van Joulo)</i>",
    },
    "eur": {"en": "€{amount}", "nl": "€ {amount}"},
    "stats_period_12m": {"en": "12 months", "nl": "12 maanden"},
    "stats_period_all": {"en": "All time", "nl": "Alles"},
    "button_current": {"en": "• {label} •", "nl": "• {label} •"},
    "chart_title_12m": {"en": "Charging per month", "nl": "Laden per maand"},
    "chart_title_all": {"en": "Charging, all time", "nl": "Laden, alles"},
    "chart_kwh_axis": {"en": "kWh", "nl": "kWh"},
    "chart_credits_axis": {"en": "ERE credits", "nl": "ERE-credits"},
    "chart_all_legend": {"en": "all charging", "nl": "al het laden"},
    "chart_ere_legend": {"en": "earns ERE credits", "nl": "levert ERE-credits op"},
    "chart_kwh_legend": {"en": "kWh charged", "nl": "kWh geladen"},
    "chart_so_far": {"en": "so far", "nl": "tot nu toe"},
    "chart_credits_legend": {"en": "ERE credits", "nl": "ERE-credits"},
    "stats_unavailable": {
        "en": "⏳ Joulo didn't answer just now; please try /stats again in a minute.",
        "nl": "⏳ Joulo gaf nu geen antwoord; probeer /stats over een minuut opnieuw.",
    },
    "stats_rejected": {
        "en": "🔑 Joulo no longer accepts this account's token.",
        "nl": "🔑 Joulo accepteert het token van dit account niet meer.",
    },
    # --- /sessions ---
    "sessions_title": {
        "en": "🕘 <b>Charging sessions</b> {first}–{last}",
        "nl": "🕘 <b>Laadsessies</b> {first}–{last}",
    },
    "sessions_title_charger": {
        "en": "🕘 <b>Charging sessions at {charger}</b> {first}–{last}",
        "nl": "🕘 <b>Laadsessies bij {charger}</b> {first}–{last}",
    },
    "sessions_line": {
        "en": "<b>{when}</b> · {charger}\n   {kwh} kWh · {duration}{credits}{who}",
        "nl": "<b>{when}</b> · {charger}\n   {kwh} kWh · {duration}{credits}{who}",
    },
    "sessions_credits": {"en": " · {credits} ERE credits", "nl": " · {credits} ERE-credits"},
    "sessions_credits_value": {
        "en": " · {credits} ERE credits ≈ {value}",
        "nl": " · {credits} ERE-credits ≈ {value}",
    },
    "sessions_who": {"en": " · 👤 {who}", "nl": " · 👤 {who}"},
    "sessions_tag": {"en": " · 💳 {tag}", "nl": " · 💳 {tag}"},
    "sessions_active": {"en": "charging now", "nl": "laadt nu"},
    "sessions_none": {
        "en": "🕘 No charging sessions yet.",
        "nl": "🕘 Nog geen laadsessies.",
    },
    "sessions_none_charger": {
        "en": "🕘 No charging sessions at <b>{charger}</b> yet.",
        "nl": "🕘 Nog geen laadsessies bij <b>{charger}</b>.",
    },
    "sessions_no_more": {
        "en": "🕘 No older sessions.",
        "nl": "🕘 Geen oudere sessies.",
    },
    "sessions_unknown_charger": {
        "en": "I don't know a charger called “{name}”. Chargers here: {names}.",
        "nl": "Ik ken geen laadpaal die “{name}” heet. Laadpalen hier: {names}.",
    },
    "sessions_older": {"en": "Older »", "nl": "Ouder »"},
    "sessions_newer": {"en": "« Newer", "nl": "« Nieuwer"},
    "joulo_busy": {
        "en": "⏳ Joulo didn't answer just now; please try again in a minute.",
        "nl": "⏳ Joulo gaf nu geen antwoord; probeer het over een minuut opnieuw.",
    },
    # --- /export ---
    "export_caption": {
        "en": "📄 Charging sessions, {period}: {sessions} · {kwh} kWh{cost}",
        "nl": "📄 Laadsessies, {period}: {sessions} · {kwh} kWh{cost}",
    },
    "export_cost": {"en": " · {cost} at {price} per kWh", "nl": " · {cost} à {price} per kWh"},
    "export_empty": {
        "en": "📄 No charging sessions in {period}, so there is no file to send.",
        "nl": "📄 Geen laadsessies in {period}, dus er is geen bestand om te sturen.",
    },
    "export_usage": {
        "en": "Use /export (last month), /export 2026-10 (a month) or /export 2026 (a year); "
        "not a period that has yet to begin.",
        "nl": "Gebruik /export (vorige maand), /export 2026-10 (een maand) of /export 2026 "
        "(een jaar); geen periode die nog moet beginnen.",
    },
    "csv_cost": {"en": "Cost (EUR at {price}/kWh)", "nl": "Kosten (EUR à {price}/kWh)"},
    "csv_columns": {
        "en": "Start|End|Charger|kWh|Duration (min)|ERE credits|Est. ERE value (EUR)|"
        "Counts for ERE|Tag|Tag name",
        "nl": "Begin|Einde|Laadpaal|kWh|Duur (min)|ERE-credits|Geschatte ERE-waarde (EUR)|"
        "Telt voor ERE|Pas|Naam pas",
    },
    "csv_yes": {"en": "yes", "nl": "ja"},
    "csv_no": {"en": "no", "nl": "nee"},
    # --- /statement: the chat's messages, then the words on the PDF ---
    "statement_caption": {
        "en": "🧾 Charging statement {month}, {name}: {sessions} · {kwh} kWh{cost}",
        "nl": "🧾 Laadoverzicht {month}, {name}: {sessions} · {kwh} kWh{cost}",
    },
    "statement_caption_cost": {"en": " · {eur}", "nl": " · {eur}"},
    "statement_empty": {
        "en": "🧾 No finished charging sessions of {names} in {month}, so there is no "
        "statement to send.",
        "nl": "🧾 Geen afgeronde laadsessies van {names} in {month}, dus er is geen overzicht "
        "om te sturen.",
    },
    "statement_usage": {
        "en": "Use /statement (last month) or /statement 2026-10 (a month); not a month that "
        "has yet to begin.",
        "nl": "Gebruik /statement (vorige maand) of /statement 2026-10 (een maand); geen maand "
        "die nog moet beginnen.",
    },
    "statement_title": {"en": "Charging statement {month}", "nl": "Laadoverzicht {month}"},
    "statement_holder": {"en": "Account holder", "nl": "Accounthouder"},
    "statement_chargers": {"en": "Chargers", "nl": "Laadpalen"},
    "statement_period": {"en": "Period", "nl": "Periode"},
    "statement_span": {"en": "{first} – {last}", "nl": "{first} – {last}"},
    "statement_so_far": {"en": " (month not over yet)", "nl": " (maand nog niet voorbij)"},
    "statement_columns": {
        "en": "Date|Charger|Start|End|kWh|MID/ERE|ERE credits|Card",
        "nl": "Datum|Laadpaal|Begin|Einde|kWh|MID/ERE|ERE-credits|Pas",
    },
    "statement_sessions": {"en": "Sessions", "nl": "Sessies"},
    "statement_kwh": {"en": "Energy charged", "nl": "Geladen energie"},
    "statement_ere_kwh": {
        "en": "of which MID/ERE-eligible",
        "nl": "waarvan MID/ERE-geschikt",
    },
    "statement_credits": {"en": "ERE credits", "nl": "ERE-credits"},
    "statement_value": {
        "en": "Value of the ERE credits (estimate)",
        "nl": "Waarde van de ERE-credits (schatting)",
    },
    "statement_value_note": {
        "en": "Estimate at {price} per credit: {source}, as of {date}. Only what Joulo pays "
        "out is final.",
        "nl": "Schatting tegen {price} per credit: {source}, stand van {date}. Alleen wat "
        "Joulo uitbetaalt is definitief.",
    },
    "statement_source_account_net": {
        "en": "Joulo's indicative price for this account, after Joulo's fee",
        "nl": "indicatieve prijs van Joulo voor dit account, na de vergoeding van Joulo",
    },
    "statement_source_account_gross": {
        "en": "Joulo's indicative price for this account, before Joulo's fee",
        "nl": "indicatieve prijs van Joulo voor dit account, vóór de vergoeding van Joulo",
    },
    "statement_source_feed": {
        "en": "Joulo's public ERE price of the week, before Joulo's fee",
        "nl": "openbare ERE-prijs van Joulo van die week, vóór de vergoeding van Joulo",
    },
    "statement_cost": {"en": "Cost at {tariff} per kWh", "nl": "Kosten tegen {tariff} per kWh"},
    "statement_credits_pending": {
        "en": "—: Joulo had not yet computed this session's ERE credits.",
        "nl": "—: Joulo had de ERE-credits van deze sessie nog niet berekend.",
    },
    "statement_made": {
        "en": "Made on {date} at {time} ({zone}) by the Joulo Telegram bot, from the account's "
        "session data at Joulo (api.joulo.nl). Times are local.",
        "nl": "Gemaakt op {date} om {time} ({zone}) door de Joulo Telegram-bot, uit de "
        "sessiegegevens van het account bij Joulo (api.joulo.nl). Tijden zijn lokaal.",
    },
    "statement_page": {"en": "Page {page} of {pages}", "nl": "Pagina {page} van {pages}"},
    "statement_author": {"en": "Joulo Telegram bot", "nl": "Joulo Telegram-bot"},
    # --- /tag ---
    "tag_list_title": {"en": "💳 <b>Charge cards</b>", "nl": "💳 <b>Laadpassen</b>"},
    "tag_list_line": {
        "en": "<code>{tag}</code> — {name}{seen}",
        "nl": "<code>{tag}</code> — {name}{seen}",
    },
    "tag_no_name": {"en": "<i>no name</i>", "nl": "<i>geen naam</i>"},
    "tag_last_used": {"en": " · last used {when}", "nl": " · laatst gebruikt {when}"},
    "tag_list_empty": {
        "en": "💳 No charge card shows up in your recent sessions yet.",
        "nl": "💳 Er staat nog geen laadpas in je recente sessies.",
    },
    "tag_howto": {
        "en": "Name a card: <code>/tag 04A3B2C1 Anna</code> · remove a name: "
        "<code>/tag 04A3B2C1</code>",
        "nl": "Pas een naam geven: <code>/tag 04A3B2C1 Anna</code> · naam weghalen: "
        "<code>/tag 04A3B2C1</code>",
    },
    "tag_named": {
        "en": "💳 Card <code>{tag}</code> is now called <b>{name}</b>. Notifications, "
        "/sessions and /export will say so.",
        "nl": "💳 Pas <code>{tag}</code> heet nu <b>{name}</b>. Meldingen, /sessions en "
        "/export zeggen het voortaan zo.",
    },
    "tag_unnamed": {
        "en": "💳 Card <code>{tag}</code> no longer has a name.",
        "nl": "💳 Pas <code>{tag}</code> heeft geen naam meer.",
    },
    "tag_had_no_name": {
        "en": "Card <code>{tag}</code> had no name.",
        "nl": "Pas <code>{tag}</code> had geen naam.",
    },
    "tag_bad_name": {
        "en": "A card's name is 1 to {max} characters, like <code>/tag 04A3B2C1 Anna</code>.",
        "nl": "De naam van een pas is 1 tot {max} tekens, zoals <code>/tag 04A3B2C1 Anna</code>.",
    },
    "error_generic": {
        "en": "Something went wrong on my side; it has been logged. Please try again.",
        "nl": "Er ging bij mij iets mis; dat is gelogd. Probeer het opnieuw.",
    },
    "only_commands": {
        "en": "I only understand commands. /help lists them; to link your account, send "
        "<code>/link</code> followed by your Joulo token.",
        "nl": "Ik begrijp alleen commando's. /help laat ze zien; om je account te koppelen "
        "stuur je <code>/link</code> gevolgd door je Joulo-token.",
    },
    "stale_button": {
        "en": "This button has expired. Send the command again.",
        "nl": "Deze knop is verlopen. Stuur het commando opnieuw.",
    },
    "link_malformed": {
        "en": "❌ That doesn't look like a Joulo token (it is one word starting with "
        "<code>joulo_</code>). Copy it again from the Joulo dashboard (Settings → API). "
        "Nothing was stored.",
        "nl": "❌ Dat lijkt geen Joulo-token (het is één woord dat begint met "
        "<code>joulo_</code>). Kopieer het opnieuw uit het Joulo-dashboard (Instellingen → "
        "API). Er is niets opgeslagen.",
    },
    "too_many_args": {
        "en": "/{command} takes no arguments. /help lists what I can do.",
        "nl": "/{command} heeft geen argumenten nodig. /help laat zien wat ik kan.",
    },
    # --- each chat decides: /settings, /mute, /quiet, /live, /language, cards, stall, digest ---
    "settings_title": {
        "en": "⚙️ <b>Settings for this chat</b>",
        "nl": "⚙️ <b>Instellingen voor deze chat</b>",
    },
    "settings_topics": {"en": "Notifications: {topics}", "nl": "Meldingen: {topics}"},
    "settings_none": {"en": "none", "nl": "geen"},
    "topic_start": {"en": "start", "nl": "start"},
    "topic_finish": {"en": "finish", "nl": "klaar"},
    "topic_offline": {"en": "offline/online", "nl": "offline/online"},
    "topic_stalled": {"en": "stalled", "nl": "gestopt"},
    "topic_digest": {"en": "monthly digest", "nl": "maandoverzicht"},
    "settings_muted_chargers": {
        "en": "Muted chargers: {names}",
        "nl": "Gedempte laadpalen: {names}",
    },
    "settings_live_on": {"en": "Live session card: on", "nl": "Live sessiekaart: aan"},
    "settings_live_off": {"en": "Live session card: off", "nl": "Live sessiekaart: uit"},
    "settings_pin_on": {"en": "Pin the live card: on", "nl": "Live kaart vastzetten: aan"},
    "settings_pin_off": {"en": "Pin the live card: off", "nl": "Live kaart vastzetten: uit"},
    "settings_quiet": {"en": "Quiet hours: {window}", "nl": "Stille uren: {window}"},
    "settings_thread": {"en": "📍 They go to: {where}", "nl": "📍 Ze gaan naar: {where}"},
    "settings_thread_named": {"en": "the topic “{name}”", "nl": "het onderwerp “{name}”"},
    "settings_thread_unnamed": {
        "en": "the topic where /subscribe was sent",
        "nl": "het onderwerp waar /subscribe werd gestuurd",
    },
    "settings_thread_general": {"en": "General", "nl": "Algemeen"},
    "settings_quiet_none": {"en": "none", "nl": "geen"},
    "settings_muted_until": {"en": "🔇 Muted until {time}", "nl": "🔇 Gedempt tot {time}"},
    "settings_language": {"en": "Language: {language}", "nl": "Taal: {language}"},
    "settings_tariff": {
        "en": "Tariff: {price} per kWh (/tariff off clears it)",
        "nl": "Tarief: {price} per kWh (/tariff off wist het)",
    },
    "settings_tariff_none": {
        "en": "Tariff: none (/tariff 0.25 sets one)",
        "nl": "Tarief: geen (/tariff 0,25 stelt er een in)",
    },
    "settings_hint": {
        "en": "<i>Tap to change. Also: /quiet 22:00-07:00, /mute 2h, /live on, /language nl.</i>",
        "nl": "<i>Tik om te wijzigen. Of: /quiet 22:00-07:00, /mute 2u, /live aan, "
        "/language en.</i>",
    },
    "language_en": {"en": "English", "nl": "Engels"},
    "language_nl": {"en": "Dutch", "nl": "Nederlands"},
    "button_charger": {"en": "{charger}", "nl": "{charger}"},
    "button_live": {"en": "Live card", "nl": "Live kaart"},
    "button_pin": {"en": "Pin it", "nl": "Vastzetten"},
    "button_tariff_off": {"en": "Clear the tariff", "nl": "Tarief wissen"},
    "button_quiet_off": {"en": "No quiet hours", "nl": "Geen stille uren"},
    "settings_admins_only": {
        "en": "Only a group admin can change this chat's settings.",
        "nl": "Alleen een groepsbeheerder kan de instellingen van deze chat wijzigen.",
    },
    "settings_saved": {"en": "Saved.", "nl": "Opgeslagen."},
    "language_set": {
        "en": "🌐 This chat now gets its notifications in English.",
        "nl": "🌐 Deze chat krijgt de meldingen nu in het Nederlands.",
    },
    "language_usage": {
        "en": "Choose a language: <code>/language nl</code> or <code>/language en</code>.",
        "nl": "Kies een taal: <code>/language nl</code> of <code>/language en</code>.",
    },
    "quiet_set": {
        "en": "🌙 Quiet hours {window}: messages then arrive without a sound.",
        "nl": "🌙 Stille uren {window}: berichten komen dan zonder geluid binnen.",
    },
    "quiet_off": {
        "en": "🔔 No quiet hours: every message makes a sound again.",
        "nl": "🔔 Geen stille uren: elk bericht maakt weer geluid.",
    },
    "quiet_usage": {
        "en": "Set quiet hours like <code>/quiet 22:00-07:00</code> (may cross midnight), or "
        "<code>/quiet off</code>.",
        "nl": "Stel stille uren in met <code>/quiet 22:00-07:00</code> (mag over middernacht), "
        "of <code>/quiet off</code>.",
    },
    "live_on": {
        "en": "📟 Live card on: a started session's message shows kWh, power and time while it "
        "runs (updated at most once a minute).",
        "nl": "📟 Live kaart aan: het bericht van een gestarte sessie toont kWh, vermogen en tijd "
        "zolang die loopt (hooguit eens per minuut bijgewerkt).",
    },
    "live_off": {"en": "📟 Live card off.", "nl": "📟 Live kaart uit."},
    "tariff_none": {
        "en": "💶 This chat has no tariff. Set your price per kWh with "
        "<code>/tariff 0.25</code> (or <code>/tariff 0,25</code>): finished sessions, /stats, "
        "/export, /statement and the monthly digest then say what charging cost.",
        "nl": "💶 Deze chat heeft geen tarief. Stel je prijs per kWh in met "
        "<code>/tariff 0,25</code> (of <code>/tariff 0.25</code>): klaar-meldingen, /stats, "
        "/export, /statement en het maandoverzicht zeggen dan wat het laden kostte.",
    },
    "tariff_current": {
        "en": "💶 This chat's tariff: {price} per kWh. Change it with "
        "<code>/tariff 0.30</code>, clear it with <code>/tariff off</code>.",
        "nl": "💶 Het tarief van deze chat: {price} per kWh. Wijzig het met "
        "<code>/tariff 0,30</code>, wis het met <code>/tariff off</code>.",
    },
    "tariff_set": {
        "en": "💶 Tariff set: {price} per kWh. Finished sessions, /stats, /export, /statement "
        "and the monthly digest now say what charging cost in this chat.",
        "nl": "💶 Tarief ingesteld: {price} per kWh. Klaar-meldingen, /stats, /export, "
        "/statement en het maandoverzicht zeggen nu wat het laden in deze chat kostte.",
    },
    "tariff_off": {
        "en": "💶 Tariff cleared: this chat no longer shows what charging cost.",
        "nl": "💶 Tarief gewist: deze chat laat niet meer zien wat het laden kostte.",
    },
    "tariff_not_a_number": {
        "en": "“{text}” is not a price. Send your price per kWh in euros, like "
        "<code>/tariff 0.25</code> or <code>/tariff 0,25</code>. Nothing was saved.",
        "nl": "“{text}” is geen prijs. Stuur je prijs per kWh in euro's, zoals "
        "<code>/tariff 0,25</code> of <code>/tariff 0.25</code>. Er is niets opgeslagen.",
    },
    "tariff_too_many_decimals": {
        "en": "“{text}” has too many decimals: at most {decimals}, like "
        "<code>/tariff 0.27365</code>. Nothing was saved.",
        "nl": "“{text}” heeft te veel decimalen: hooguit {decimals}, zoals "
        "<code>/tariff 0,27365</code>. Er is niets opgeslagen.",
    },
    "tariff_not_positive": {
        "en": "A tariff is more than {zero} per kWh; <code>/tariff off</code> clears it. "
        "Nothing was saved.",
        "nl": "Een tarief is meer dan {zero} per kWh; <code>/tariff off</code> wist het. "
        "Er is niets opgeslagen.",
    },
    "tariff_too_high": {
        "en": "“{text}” is more than {limit} per kWh, surely a typo. Send your price per kWh "
        "in euros, like <code>/tariff 0.25</code>. Nothing was saved.",
        "nl": "“{text}” is meer dan {limit} per kWh, vast een tikfout. Stuur je prijs per kWh "
        "in euro's, zoals <code>/tariff 0,25</code>. Er is niets opgeslagen.",
    },
    "pin_on": {
        "en": "📌 Pinning on: while a session runs its live card is pinned here (without a "
        "notification), and unpinned when it ends. In a group I need the admin right "
        "“Pin messages” for that.",
        "nl": "📌 Vastzetten aan: zolang een sessie loopt zet ik de live kaart hier vast "
        "(zonder melding), en daarna weer los. In een groep heb ik daarvoor het beheerdersrecht "
        "“Berichten vastzetten” nodig.",
    },
    "pin_needs_live": {
        "en": "\nThe live card is off in this chat: /live on switches it on.",
        "nl": "\nDe live kaart staat uit in deze chat: /live on zet hem aan.",
    },
    "pin_off": {"en": "📌 Pinning off.", "nl": "📌 Vastzetten uit."},
    "pin_usage": {
        "en": "Use <code>/pin on</code> or <code>/pin off</code>.",
        "nl": "Gebruik <code>/pin on</code> of <code>/pin off</code>.",
    },
    "pin_refused": {
        "en": "📌 I could not pin the live card in “{group}”: I need the admin right "
        "“Pin messages” there. A group admin gives it in the group's info → Administrators → "
        "this bot → Pin messages; then send /pin on there. Until then I don't try again; the "
        "live card still comes.",
        "nl": "📌 Ik kon de live kaart in “{group}” niet vastzetten: daarvoor heb ik daar het "
        "beheerdersrecht “Berichten vastzetten” nodig. Een groepsbeheerder geeft dat via de "
        "groepsinfo → Beheerders → deze bot → Berichten vastzetten; stuur daarna /pin on in de "
        "groep. Tot dan probeer ik het niet opnieuw; de live kaart komt wel.",
    },
    "live_usage": {
        "en": "Use <code>/live on</code> or <code>/live off</code>.",
        "nl": "Gebruik <code>/live on</code> of <code>/live off</code>.",
    },
    "mute_set": {
        "en": "🔇 Muted until {time}. Nothing is sent here until then (/unmute ends it early); "
        "afterwards /status tells how things are.",
        "nl": "🔇 Gedempt tot {time}. Tot dan stuur ik hier niets (/unmute stopt het eerder); "
        "daarna vertelt /status hoe het ervoor staat.",
    },
    "mute_usage": {
        "en": "Mute like <code>/mute 30m</code>, <code>/mute 2h</code> or <code>/mute 1d</code> "
        "(without an argument: one hour; at most 31 days).",
        "nl": "Demp met <code>/mute 30m</code>, <code>/mute 2u</code> of <code>/mute 1d</code> "
        "(zonder argument: een uur; hooguit 31 dagen).",
    },
    "unmuted": {
        "en": "🔔 Unmuted: notifications are back.",
        "nl": "🔔 Dempen opgeheven: de meldingen zijn terug.",
    },
    "not_muted": {"en": "This chat isn't muted.", "nl": "Deze chat is niet gedempt."},
    "card_live": {
        "en": "🔌 <b>{charger}</b>: charging since {time}{tag}",
        "nl": "🔌 <b>{charger}</b>: aan het laden sinds {time}{tag}",
    },
    "card_done_by": {
        "en": "🔌 {who} charged at <b>{charger}</b> {start}–{end}\n✅ {kwh} kWh in {duration}",
        "nl": "🔌 {who} laadde bij <b>{charger}</b> {start}–{end}\n✅ {kwh} kWh in {duration}",
    },
    "card_figures": {
        "en": "\n⚡ {kwh} kWh{power} · {duration}\n<i>Updated {updated}</i>",
        "nl": "\n⚡ {kwh} kWh{power} · {duration}\n<i>Bijgewerkt {updated}</i>",
    },
    "card_done": {
        "en": "🔌 <b>{charger}</b>: charged {start}–{end}{tag}\n✅ {kwh} kWh in {duration}",
        "nl": "🔌 <b>{charger}</b>: geladen {start}–{end}{tag}\n✅ {kwh} kWh in {duration}",
    },
    "stalled": {
        "en": "⏸ <b>{charger}</b>{who}: charging seems to have stopped — no energy since {time} "
        "({kwh} kWh so far). Is the car full, or did something come loose?",
        "nl": "⏸ <b>{charger}</b>{who}: het laden lijkt gestopt — geen energie sinds {time} "
        "({kwh} kWh tot nu toe). Is de auto vol, of zit er iets los?",
    },
    "digest": {
        "en": "📅 <b>{month}</b> in short{who}\n"
        "{kwh} kWh{kwh_change} · {sessions}{sessions_change} · "
        "{credits} ERE credits{credits_change}{value}\n"
        "<i>{previous}: {previous_kwh} kWh · {previous_sessions} · "
        "{previous_credits} ERE credits</i>{money}{cost}\n"
        "📊 /stats draws the chart",
        "nl": "📅 <b>{month}</b> in het kort{who}\n"
        "{kwh} kWh{kwh_change} · {sessions}{sessions_change} · "
        "{credits} ERE-credits{credits_change}{value}\n"
        "<i>{previous}: {previous_kwh} kWh · {previous_sessions} · "
        "{previous_credits} ERE-credits</i>{money}{cost}\n"
        "📊 /stats tekent de grafiek",
    },
    "digest_change": {"en": " ({change}%)", "nl": " ({change}%)"},
    "digest_cost": {
        "en": "\n💶 Charging cost {cost} ({kwh} kWh × {price})",
        "nl": "\n💶 Laadkosten {cost} ({kwh} kWh × {price})",
    },
    "digest_cost_year": {"en": " · {cost} in {year} so far", "nl": " · {cost} in {year} tot nu"},
    # --- money (bot.core.money, bot.jobs.money) ---
    "value_estimate": {"en": " · ≈ {value}", "nl": " · ≈ {value}"},
    "credits_value": {
        "en": "\nERE credits: {credits} · ≈ {value}",
        "nl": "\nERE-credits: {credits} · ≈ {value}",
    },
    "payout": {
        "en": "💶 Joulo paid out {added} — {total} this year",
        "nl": "💶 Joulo heeft {added} uitbetaald — {total} dit jaar",
    },
    "payout_year": {
        "en": "💶 Joulo paid out {added} — {total} for {year}",
        "nl": "💶 Joulo heeft {added} uitbetaald — {total} over {year}",
    },
    "quarter_final": {
        "en": "📈 Joulo's price for {quarter} is final: {price} per ERE credit{share}",
        "nl": "📈 De prijs van Joulo voor {quarter} staat vast: {price} per ERE-credit{share}",
    },
    "quarter_share": {
        "en": "\nYour {credits} credits that quarter: {eur} after Joulo's fee",
        "nl": "\nJouw {credits} credits dat kwartaal: {eur} na de vergoeding van Joulo",
    },
    "demo_menu_hint": {
        "en": "(type a number to press that button)",
        "nl": "(typ een nummer om op die knop te drukken)",
    },
    "demo_banner": {
        "en": "Joulo bot demo — simulated time runs {speed}× faster than real time.\n"
        "You are Anna in her family group: type /status, /stats, /sessions, /export or /help. "
        "/private takes you to her private chat with the bot (for /tag, /link, /unlink), "
        "/group back.\nA button is pressed by its number, or by naming it, as in "
        "/sessions older.\nCharts and CSV files are written to {folder}. "
        "/quit, Ctrl-D or Ctrl-C ends it.\n",
        "nl": "Demo van de Joulo-bot — de gesimuleerde tijd loopt {speed}× sneller dan de echte."
        "\nJe bent Anna in haar gezinsgroep: typ /status, /stats, /sessions, /export of /help. "
        "/private brengt je naar haar privéchat met de bot (voor /tag, /link, /unlink), "
        "/group terug.\nEen knop druk je in met zijn nummer, of door hem te noemen, zoals "
        "/sessions ouder.\nGrafieken en CSV-bestanden komen in {folder}. "
        "/quit, Ctrl-D of Ctrl-C stopt de demo.\n",
    },
    "demo_ended": {"en": "Demo ended.", "nl": "Demo afgelopen."},
    "demo_file": {"en": "📎 {path} ({size} bytes)", "nl": "📎 {path} ({size} bytes)"},
    "demo_private_chat": {"en": "📱 Anna (private chat)", "nl": "📱 Anna (privéchat)"},
    "demo_group_chat": {"en": "👪 Family group", "nl": "👪 Gezinsgroep"},
    "demo_group_title": {"en": "Family", "nl": "Gezin"},
    "demo_driveway": {"en": "Driveway", "nl": "Oprit"},
    "demo_anna_to_bot": {"en": "📱 Anna → bot", "nl": "📱 Anna → bot"},
    "demo_bot_to_anna": {"en": "🤖 bot → Anna", "nl": "🤖 bot → Anna"},
    "demo_anna_to_group": {"en": "👪 Anna → Family group", "nl": "👪 Anna → Gezinsgroep"},
    "demo_bot_to_group": {"en": "🤖 bot → Family group", "nl": "🤖 bot → Gezinsgroep"},
    "demo_silently": {"en": "{chat} 🔕 (silently)", "nl": "{chat} 🔕 (zonder geluid)"},
    "demo_edited": {
        "en": "{chat} ✏️ (message {number} updated)",
        "nl": "{chat} ✏️ (bericht {number} bijgewerkt)",
    },
    "demo_no_button": {
        "en": "(there is no button {number}: the last answer has buttons 1 to {count})",
        "nl": "(er is geen knop {number}: het laatste antwoord heeft knoppen 1 tot en met {count})",
    },
    "demo_no_buttons": {
        "en": "(there is no button {number}: the last answer has no buttons)",
        "nl": "(er is geen knop {number}: het laatste antwoord heeft geen knoppen)",
    },
    "demo_in_private": {
        "en": "(you are now in your private chat with the bot, where /tag, /link and /unlink "
        "work; /group takes you back to the family group)",
        "nl": "(je bent nu in je privéchat met de bot, waar /tag, /link en /unlink werken; "
        "/group brengt je terug naar de gezinsgroep)",
    },
    "demo_in_group": {
        "en": "(you are back in the family group; /private takes you to your private chat)",
        "nl": "(je bent terug in de gezinsgroep; /private brengt je naar je privéchat)",
    },
    "demo_deleted": {
        "en": "🗑 (deleted Anna's message: it held a Joulo token)",
        "nl": "🗑 (het bericht van Anna verwijderd: er stond een Joulo-token in)",
    },
    "demo_group_chatter": {
        "en": "(in a group the bot answers only commands, such as /status)",
        "nl": "(in een groep reageert de bot alleen op commando's, zoals /status)",
    },
}

#: Descriptions for Telegram's command menu, per language.
COMMAND_MENU: Final[dict[str, dict[Language, str]]] = {
    "start": {"en": "How to get going", "nl": "Zo begin je"},
    "link": {"en": "Link your Joulo account", "nl": "Koppel je Joulo-account"},
    "unlink": {"en": "Forget your Joulo token", "nl": "Vergeet je Joulo-token"},
    "subscribe": {"en": "Send notifications to this group", "nl": "Meldingen naar deze groep"},
    "unsubscribe": {"en": "Stop notifications here", "nl": "Stop meldingen hier"},
    "status": {"en": "Chargers right now", "nl": "Laadpalen nu"},
    "stats": {"en": "Chart: energy, ERE credits, euros", "nl": "Grafiek: energie, ERE, euro's"},
    "sessions": {"en": "Last charging sessions", "nl": "Laatste laadsessies"},
    "export": {"en": "CSV of a month's sessions", "nl": "CSV met de sessies van een maand"},
    "statement": {
        "en": "PDF of a month's charging, for your employer",
        "nl": "Pdf van een maand laden, voor je werkgever",
    },
    "tag": {"en": "Name your charge cards", "nl": "Geef je laadpassen een naam"},
    "invite": {
        "en": "A link that adds me to a group",
        "nl": "Link om me aan een groep toe te voegen",
    },
    "help": {"en": "What this bot can do", "nl": "Wat deze bot kan"},
    "settings": {"en": "What this chat gets", "nl": "Wat deze chat krijgt"},
    "mute": {"en": "Silence this chat for a while", "nl": "Deze chat even dempen"},
    "unmute": {"en": "End the mute", "nl": "Dempen opheffen"},
    "quiet": {"en": "Quiet hours, e.g. 22:00-07:00", "nl": "Stille uren, bv. 22:00-07:00"},
    "live": {"en": "Live session card on/off", "nl": "Live sessiekaart aan/uit"},
    "pin": {"en": "Pin the live card on/off", "nl": "Live kaart vastzetten aan/uit"},
    "language": {"en": "Language of this chat (nl/en)", "nl": "Taal van deze chat (nl/en)"},
    "tariff": {"en": "Price per kWh, e.g. 0.25", "nl": "Prijs per kWh, bv. 0,25"},
}


def t(lang: Language, key: str, **values: object) -> Html:
    """The catalog text `key` in `lang` as Telegram HTML; every value is escaped once."""
    return fmt(TEXTS[key][lang], **values)


def euros(amount: float, lang: Language) -> Html:
    """An amount of money as the family reads it: `€2.50`, in Dutch `€ 2,50`; always 2 decimals."""
    return t(lang, "eur", amount=fmt_number(amount, lang, 2))


def per_kwh(tariff: float, lang: Language) -> Html:
    """A tariff as it was set: `€0.25`, `€0.27365`, in Dutch `€ 0,25` (at least 2 decimals)."""
    return t(lang, "eur", amount=fmt_number(tariff, lang, tariff_decimals(tariff)))


def plain(lang: Language, key: str, **values: object) -> str:
    """The catalog text `key` as plain text (a button label, a popup, a file's column)."""
    return TEXTS[key][lang].format(**values)


def plural(lang: Language, key: str, n: int) -> Html:
    """`3 chargers` / `1 laadpaal`: the `_one` or `_other` form of `key`."""
    return t(lang, f"{key}_one" if n == 1 else f"{key}_other", n=n)


def tag_note(tag: str | None, lang: Language) -> Html:
    """` (tag 04A3B2C1)` after a charger's name; empty without a tag."""
    return t(lang, "tag", tag=tag) if tag else Html()


def who_note(tag: str | None, names: Mapping[str, str], lang: Language) -> Html:
    """` · 👤 Anna` when the card has a name, else ` (tag 04A3B2C1)`; empty without a card."""
    who = tag_name(names, tag)
    return t(lang, "sessions_who", who=who) if who else tag_note(tag, lang)


def chart_text(lang: Language, *, all_time: bool = False) -> ChartText:
    """The words on a chart: twelve months (/stats and the digest), or all time."""
    return ChartText(
        title=plain(lang, "chart_title_all" if all_time else "chart_title_12m"),
        kwh_axis=plain(lang, "chart_kwh_axis"),
        credits_axis=plain(lang, "chart_credits_axis"),
        all_legend=plain(lang, "chart_all_legend"),
        ere_legend=plain(lang, "chart_ere_legend"),
        kwh_legend=plain(lang, "chart_kwh_legend"),
        credits_legend=plain(lang, "chart_credits_legend"),
        so_far=plain(lang, "chart_so_far"),
    )
