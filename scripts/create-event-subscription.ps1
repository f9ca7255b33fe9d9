# azd postdeploy hook (Windows): subscribe the blob trigger (on_document_uploaded) to BlobCreated events of the
# source container, through the storage account's Event Grid system topic. Safe to re-run: it updates the
# subscription. Needs the Azure CLI, logged in (azd sets the environment's outputs). Never prints the webhook key.
$ErrorActionPreference = 'Stop'

foreach ($name in 'AZURE_RESOURCE_GROUP', 'AZURE_FUNCTION_APP_NAME', 'AZURE_STORAGE_ACCOUNT_ID',
    'EVENT_GRID_SYSTEM_TOPIC_NAME', 'SOURCE_CONTAINER', 'DEAD_LETTER_CONTAINER') {
    if (-not [Environment]::GetEnvironmentVariable($name)) {
        Write-Error "$name is not set; run this through 'azd deploy' or 'azd up' (or 'azd env get-values')."
    }
}

$functionName = 'on_document_uploaded'

# The blobs_extension key exists once the host has indexed the blob trigger, a little after the deployment.
$key = ''
for ($attempt = 1; $attempt -le 20; $attempt++) {
    $key = az functionapp keys list --resource-group $env:AZURE_RESOURCE_GROUP --name $env:AZURE_FUNCTION_APP_NAME `
        --query 'systemKeys.blobs_extension' --output tsv 2>$null
    if ($key) { break }
    Write-Host "waiting for the blobs_extension key of $($env:AZURE_FUNCTION_APP_NAME) (attempt $attempt of 20)..."
    Start-Sleep -Seconds 15
}
if (-not $key) {
    Write-Error ("$($env:AZURE_FUNCTION_APP_NAME) has no blobs_extension key after 5 minutes: check that the " +
        "deployment succeeded and that the function $functionName is listed ('az functionapp function list').")
}

$appHost = az functionapp show --resource-group $env:AZURE_RESOURCE_GROUP --name $env:AZURE_FUNCTION_APP_NAME `
    --query 'properties.defaultHostName' --output tsv
$endpoint = "https://$appHost/runtime/webhooks/blobs?functionName=Host.Functions.$functionName&code=$key"
$deadLetter = "$($env:AZURE_STORAGE_ACCOUNT_ID)/blobServices/default/containers/$($env:DEAD_LETTER_CONTAINER)"

az eventgrid system-topic event-subscription create `
    --name "blob-created-$functionName" `
    --resource-group $env:AZURE_RESOURCE_GROUP `
    --system-topic-name $env:EVENT_GRID_SYSTEM_TOPIC_NAME `
    --endpoint-type webhook `
    --endpoint $endpoint `
    --included-event-types Microsoft.Storage.BlobCreated `
    --subject-begins-with "/blobServices/default/containers/$($env:SOURCE_CONTAINER)/" `
    --advanced-filter data.api StringIn PutBlob PutBlockList CopyBlob FlushWithClose `
    --max-delivery-attempts 30 `
    --event-ttl 1440 `
    --deadletter-identity systemassigned `
    --deadletter-identity-endpoint $deadLetter `
    --output none
if ($LASTEXITCODE -ne 0) { Write-Error 'creating the Event Grid subscription failed (see the Azure CLI error above).' }

Write-Host ("Event Grid: BlobCreated in '$($env:SOURCE_CONTAINER)' now triggers $functionName (undeliverable events " +
    "go to '$($env:DEAD_LETTER_CONTAINER)').")
