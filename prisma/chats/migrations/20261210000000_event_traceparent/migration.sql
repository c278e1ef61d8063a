-- The W3C trace context of the request that wrote an event, when that request was traced (sampled): the notification
-- relay puts it on the event's RabbitMQ message, so the notifier's work joins the trace of the send. Null otherwise.
ALTER TABLE chat_events ADD COLUMN traceparent text;
