"""Many workspaces: Bolt's OAuth install flow, its stores in the history database, team clients.

With ``SLACK_CLIENT_ID``, ``SLACK_CLIENT_SECRET`` and ``STORYFIT_STATE_SECRET`` set, a workspace
installs Storyfit at ``GET /slack/install`` and Slack sends the installer back to
``GET /slack/oauth_redirect``, where Bolt trades the code for the workspace's bot token
(``oauth.v2.access``, at ``STORYFIT_SLACK_API_URL`` like every other call). The tokens live in
slack_sdk's ``SQLAlchemyInstallationStore`` and the one-time ``state`` values in its
``SQLAlchemyOAuthStateStore``, both in the history database (``STORYFIT_DATABASE_URL`` or the SQLite
file in the data dir). Their tables are created by the history migrations (revision 0005), under the
same lock as every other table, rather than by the stores' ``create_tables()``.

Every request in a workspace is authorised from the store (Bolt's ``InstallationStoreAuthorize``):
listeners get that workspace's client; the digest gets it from ``Installations.digest_client``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth import OAuthFlow
from slack_bolt.oauth.callback_options import CallbackOptions
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import desc, select

from bot.history.tables import (
    SLACK_BOTS_TABLE,
    SLACK_INSTALLATIONS_TABLE,
    SLACK_OAUTH_STATES_TABLE,
)
from bot.settings import Settings
from bot.slack import install_pages
from bot.slack.client import (
    check_oauth_settings,
    digest_client,
    sending_once,
    uses_oauth,
    web_client,
)
from retrieval.errors import StoryfitError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bot.digest.delivery import ClientFor

logger = logging.getLogger(__name__)

#: The bot scopes an install asks for: ``manifest.yml``'s (a test keeps the two the same).
BOT_SCOPES = (
    "app_mentions:read",
    "chat:write",
    "commands",
    "files:read",
    "files:write",
    "im:history",
    "im:write",
    "users:read",
)
#: How long an install link stays valid between ``/slack/install`` and Slack's redirect back.
STATE_SECONDS = 600
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


class NotInstalledError(StoryfitError):
    """No bot token is stored for a workspace: never installed, uninstalled or revoked."""


class SignedStateStore(OAuthStateStore):
    """One-time OAuth ``state`` values kept in the database and signed with a secret.

    ``issue`` stores a random value and hands out ``value.signature`` (HMAC-SHA256 with
    ``STORYFIT_STATE_SECRET``); ``consume`` accepts only a correctly signed, stored, unexpired
    value, and only once. A state made up by someone else, or issued by a deployment with another
    secret, is refused before the database is asked; expired states are deleted as new ones are
    issued.
    """

    def __init__(self, stored: SQLAlchemyOAuthStateStore, secret: str) -> None:
        self._stored = stored
        self._key = secret.encode()

    @property
    def logger(self) -> logging.Logger:
        return logger

    def _signature(self, value: str) -> str:
        return hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()

    def issue(self, *args: object, **kwargs: object) -> str:
        self._forget_expired()
        value = self._stored.issue()
        return f"{value}.{self._signature(value)}"

    def _forget_expired(self) -> None:
        """Delete the states of installs abandoned more than ``STATE_SECONDS`` ago: anyone can
        open ``/slack/install``, so without this the table would only ever grow."""
        table = self._stored.oauth_states
        now = datetime.now(UTC).replace(tzinfo=None)  # the column is naive UTC, as slack_sdk writes
        with self._stored.engine.begin() as connection:
            connection.execute(table.delete().where(table.c.expire_at <= now))

    def consume(self, state: str) -> bool:
        value, _, signature = state.rpartition(".")
        if not value or not hmac.compare_digest(signature, self._signature(value)):
            logger.info("Refused an OAuth state with a wrong signature")
            return False
        return bool(self._stored.consume(value))


class StoryfitOAuthFlow(OAuthFlow):
    """Bolt's flow with our install page."""

    def build_install_page_html(self, url: str, request: BoltRequest) -> str:
        return install_pages.install_page(url)


class Installations:
    """The workspaces that installed Storyfit: their stores and each one's Web API client."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        client_id, client_secret, state_secret = _oauth_credentials(settings)
        self.settings = settings
        self.engine = engine
        self.client_id = client_id
        self.client_secret = client_secret
        self.store = SQLAlchemyInstallationStore(
            client_id=client_id,
            engine=engine,
            bots_table_name=SLACK_BOTS_TABLE,
            installations_table_name=SLACK_INSTALLATIONS_TABLE,
            logger=logger,
        )
        states = SQLAlchemyOAuthStateStore(
            STATE_SECONDS, engine, logger=logger, table_name=SLACK_OAUTH_STATES_TABLE
        )
        self.states = SignedStateStore(states, state_secret)

    def bot(self, team_id: str) -> Bot | None:
        """The newest stored bot of ``team_id`` with a token, whatever its Enterprise Grid org.

        (``find_bot`` needs the org id too, which a digest does not know.)
        """
        bots = self.store.bots
        query = (
            select(bots)
            .where(
                bots.c.client_id == self.client_id,
                bots.c.team_id == team_id,
                bots.c.bot_token.is_not(None),
            )
            .order_by(desc(bots.c.installed_at))
            .limit(1)
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        return None if row is None else SQLAlchemyInstallationStore.build_bot_entity(row)

    def digest_client(self, team_id: str | None) -> WebClient:
        """A client holding ``team_id``'s bot token, sending each call once (``sending_once``),
        for its digests; ``NotInstalledError`` without a stored token."""
        if team_id is None:
            raise NotInstalledError(
                "Storyfit serves many workspaces here (SLACK_CLIENT_ID is set), so a digest "
                "needs its workspace: give --team with the workspace's team id (T0123ABCD)."
            )
        bot = self.bot(team_id)
        if bot is None:
            raise NotInstalledError(
                f"Storyfit is not installed in workspace {team_id} (or was removed from it), "
                f"so its digest cannot be posted: install it again at {INSTALL_PATH}."
            )
        return sending_once(web_client(self.settings, bot.bot_token))

    def authorize(self, client: WebClient) -> InstallationStoreAuthorize:
        """Bolt's per-request authorisation from the stored bots, each token's ``auth.test``
        cached (it would otherwise be a call to Slack on every request's acknowledgement path).

        The store is read on every request, so a workspace whose bot was deleted (uninstalled,
        tokens revoked) is refused at once. Bots only: Storyfit asks for no user scopes, and
        Bolt's ``tokens_revoked`` listener deletes the bot row alone, so reading installation rows
        (which keep a copy of the bot token) would go on authorising a revoked token.
        """
        return InstallationStoreAuthorize(
            logger=logging.getLogger("bot.slack"),
            installation_store=self.store,
            client_id=self.client_id,
            client_secret=self.client_secret,
            bot_only=True,
            cache_enabled=True,
            client=client,
        )

    def oauth_flow(self, client: WebClient) -> OAuthFlow:
        """Bolt's install flow, calling ``oauth.v2.access`` through ``client`` (our base URL)."""
        return StoryfitOAuthFlow(
            client=client, logger=logging.getLogger("bot.slack"), settings=self.oauth_settings()
        )

    def oauth_settings(self) -> OAuthSettings:
        """Bolt's OAuth settings: our scopes, stores, paths and pages."""
        return OAuthSettings(
            client_id=self.client_id,
            client_secret=self.client_secret,
            scopes=list(BOT_SCOPES),
            user_scopes=[],
            install_path=INSTALL_PATH,
            redirect_uri_path=REDIRECT_PATH,
            installation_store=self.store,
            installation_store_bot_only=True,
            state_store=self.states,
            state_expiration_seconds=STATE_SECONDS,
            callback_options=CallbackOptions(
                success=install_pages.installed, failure=install_pages.not_installed
            ),
            logger=logging.getLogger("bot.slack"),
        )


def digest_clients(settings: Settings, engine: Engine) -> ClientFor:
    """Who posts each workspace's digests: the ``SLACK_BOT_TOKEN`` client in one workspace, else
    the client of the workspace's stored installation in the history database behind ``engine``
    (looked up when a digest is due, so a reinstall's new token is used at once). Nothing is
    checked until a client is asked for: printing a digest needs no token."""
    if uses_oauth(settings):
        return Installations(settings, engine).digest_client
    return lambda _team_id: digest_client(settings)


def _oauth_credentials(settings: Settings) -> tuple[str, str, str]:
    """The client id, client secret and state secret; ``SlackSetupError`` naming a missing one."""
    check_oauth_settings(settings)
    client_id, client_secret = settings.slack_client_id, settings.slack_client_secret
    state_secret = settings.state_secret
    assert client_id and client_secret and state_secret  # checked just above
    return client_id, client_secret.get_secret_value(), state_secret.get_secret_value()
