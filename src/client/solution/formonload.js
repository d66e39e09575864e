// crm-tapi form OnLoad handler (web resource __PREFIX___/crmtapi/formonload.js).
// Register CrmTapiForm.onLoad as the form's OnLoad event handler with "Pass
// execution context as first parameter"; the form must hold the HTML web
// resource __PREFIX___/crmtapi/webresource.html as control WebResource_crmtapi.
// It hands Xrm and the form context to the client inside the web resource
// (Microsoft's documented pattern for HTML web resources on forms).
/* global Xrm -- provided by Dynamics 365; the placeholder is filled at build */
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- a global the form or command bar calls by name
var CrmTapiForm = (function () {
  'use strict';
  function onLoad(executionContext) {
    var formContext = executionContext.getFormContext();
    var control = formContext.getControl('WebResource_crmtapi');
    if (!control) return;
    control.getContentWindow().then(function (win) {
      if (win && typeof win.setClientApiContext === 'function') win.setClientApiContext(Xrm, formContext);
    });
  }
  return { onLoad: onLoad };
})();
