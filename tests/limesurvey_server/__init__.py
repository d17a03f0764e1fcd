"""A local fake of a LimeSurvey 6.4.2 RemoteControl 2 (JSON-RPC) endpoint, for tests.

Every answer follows the recordings of a real LimeSurvey 6.4.2 server in
``tests/data/limesurvey/rpc/`` (copied from ``../shared/limesurvey/rpc/``;
``NNN_method__label.{request,response}.json``; HTTP status and content type in ``INDEX.json``);
the docstrings name the recording each behaviour copies.

- :class:`FakeLimeSurvey` holds the state (surveys, responses, session keys, injected faults)
  and turns one HTTP request body into one HTTP reply, so it can be used without a socket.
- :class:`LimeSurveyServer` serves a fake over real HTTP on ``127.0.0.1`` (OS-chosen port).

The package has one module per concern:

- :mod:`.wire`: the wire format and HTTP. PHP ``json_encode``, the JSON-RPC envelope
  (:class:`~.wire.JsonRpcEndpoint`: HTTP request body in, :class:`~.wire.Reply` out, injected
  faults applied), LimeSurvey's HTML error pages, and :class:`LimeSurveyServer`.
- :mod:`.state`: what the server holds. Surveys read from ``.lss`` files, their responses and
  participant tables, session keys and failed logins, injected faults (:class:`~.state.LimeSurveyState`).
- :mod:`.methods`: the RemoteControl methods and their status texts; :class:`FakeLimeSurvey`
  puts the three together.

Implemented methods: ``get_session_key``, ``release_session_key``, ``get_site_settings``,
``list_surveys``, ``get_survey_properties``, ``get_language_properties``, ``list_groups``,
``list_questions``, ``get_question_properties``, ``get_summary``, ``activate_survey``,
``export_responses``, ``export_responses_by_token``, ``get_response_ids``, ``list_participants``,
``remind_participants``. Any other method
name answers like an unknown method (rpc/004). See :meth:`FakeLimeSurvey._export` for the export
formats covered.
"""

from tests.limesurvey_server.methods import LOCKED_OUT, FakeLimeSurvey
from tests.limesurvey_server.wire import LimeSurveyServer, php_json

# What the tests import; the other status texts, the recorded defaults, Reply and error_page are
# imported from the module that defines them.
__all__ = ["LOCKED_OUT", "FakeLimeSurvey", "LimeSurveyServer", "php_json"]
