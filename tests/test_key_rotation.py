"""ENCRYPTION_KEY rotation: put a new key first, restart, and the old key can be retired.

The first key encrypts and every key decrypts; at start-up tokens still under an older key are
re-encrypted with the newest one.
"""

from __future__ import annotations

from cryptography.fernet import Fernet
from pydantic import SecretStr

from bot.app import open_services
from bot.commands import Person
from bot.config import Settings
from tests.clock import ManualClock
from tests.joulo_sim import JouloSimulator

ANNA = Person(id=7001, name="Anna", language="en")


async def test_adding_a_new_key_first_rotates_stored_tokens_so_the_old_key_can_go(
    settings: Settings, clock: ManualClock, sim: JouloSimulator
) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = sim.add_account()
    sim.add_charger(token, "Garage")

    def with_keys(*keys: str) -> Settings:
        return settings.model_copy(update={"encryption_key": SecretStr(",".join(keys))})

    async with open_services(with_keys(old), clock=clock, joulo_transport=sim.transport()) as s:
        assert (await s.answers.link(ANNA, token)).linked
    async with open_services(with_keys(new, old), clock=clock, joulo_transport=sim.transport()):
        pass  # start-up with the new key first re-encrypts
    async with open_services(with_keys(new), clock=clock, joulo_transport=sim.transport()) as s:
        report = await s.poller.run_cycle()
        assert report is not None
        assert (report.polled, report.failed) == (1, 0)
        assert await s.store.pending_deliveries() == []  # no "unreadable token" notice
