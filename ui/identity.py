"""Who is looking (lib.guard.identity.visitor_identity), and whether they may act."""

import streamlit as st

from lib.guard.identity import OPERATOR, Identity, NoIdentity, role_of, visitor_identity
from lib.text import as_text


def visitor() -> Identity:
    """The visitor's identity. A visitor whom the configured sign-in did not identify gets the
    sign-in or refusal page, and the script stops there."""
    who = visitor_identity(st.user, st.context.headers.get_all)
    if isinstance(who, NoIdentity):
        _stop_at_the_door(who)
    return who


def may_act() -> tuple[bool, str]:
    """Whether to enable action controls, and the reason when not. The action itself checks again."""
    who = visitor()
    if role_of(who) == OPERATOR:
        return True, ""
    return (
        False,
        f"{as_text(who)} is a viewer: actions are for operators listed in the console's configuration.",
    )


def _stop_at_the_door(visitor: NoIdentity) -> None:
    st.title("Owner migration console")
    if visitor.source == "oidc":
        st.info(visitor.message, icon=":material/login:")
        st.button("Sign in", type="primary", on_click=st.login)
    else:
        st.error(visitor.message, icon=":material/no_accounts:")
    st.stop()
