#!/bin/sh
# azd postdeploy hook: subscribe the blob trigger (on_document_uploaded) to BlobCreated events of the source
# container, through the storage account's Event Grid system topic. Safe to re-run: it updates the subscription.
# Needs the Azure CLI, logged in (azd sets the environment's outputs as variables). Never prints the webhook key.
set -eu

for name in AZURE_RESOURCE_GROUP AZURE_FUNCTION_APP_NAME AZURE_STORAGE_ACCOUNT_ID EVENT_GRID_SYSTEM_TOPIC_NAME \
    SOURCE_CONTAINER DEAD_LETTER_CONTAINER; do
  eval "value=\${$name:-}"
  if [ -z "$value" ]; then
    echo "error: $name is not set; run this through 'azd deploy' or 'azd up' (or 'azd env get-values')." >&2
    exit 1
  fi
done

function_name="on_document_uploaded"

# The blobs_extension key exists once the host has indexed the blob trigger, a little after the deployment.
key=""
attempt=1
while [ "$attempt" -le 20 ]; do
  key=$(az functionapp keys list --resource-group "$AZURE_RESOURCE_GROUP" --name "$AZURE_FUNCTION_APP_NAME" \
    --query "systemKeys.blobs_extension" --output tsv 2>/dev/null || true)
  [ -n "$key" ] && break
  echo "waiting for the blobs_extension key of $AZURE_FUNCTION_APP_NAME (attempt $attempt of 20)..."
  sleep 15
  attempt=$((attempt + 1))
done
if [ -z "$key" ]; then
  echo "error: $AZURE_FUNCTION_APP_NAME has no blobs_extension key after 5 minutes: check that the deployment" \
    "succeeded and that the function $function_name is listed ('az functionapp function list')." >&2
  exit 1
fi

host=$(az functionapp show --resource-group "$AZURE_RESOURCE_GROUP" --name "$AZURE_FUNCTION_APP_NAME" \
  --query "properties.defaultHostName" --output tsv)
endpoint="https://$host/runtime/webhooks/blobs?functionName=Host.Functions.$function_name&code=$key"

az eventgrid system-topic event-subscription create \
  --name "blob-created-$function_name" \
  --resource-group "$AZURE_RESOURCE_GROUP" \
  --system-topic-name "$EVENT_GRID_SYSTEM_TOPIC_NAME" \
  --endpoint-type webhook \
  --endpoint "$endpoint" \
  --included-event-types Microsoft.Storage.BlobCreated \
  --subject-begins-with "/blobServices/default/containers/$SOURCE_CONTAINER/" \
  --advanced-filter data.api StringIn PutBlob PutBlockList CopyBlob FlushWithClose \
  --max-delivery-attempts 30 \
  --event-ttl 1440 \
  --deadletter-identity systemassigned \
  --deadletter-identity-endpoint "$AZURE_STORAGE_ACCOUNT_ID/blobServices/default/containers/$DEAD_LETTER_CONTAINER" \
  --output none

echo "Event Grid: BlobCreated in '$SOURCE_CONTAINER' now triggers $function_name (undeliverable events go to" \
  "'$DEAD_LETTER_CONTAINER')."
