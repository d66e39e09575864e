// crm-tapi command bar of the TAPI interfaces (web resource __PREFIX___/crmtapi/ribbon.js).
// "Diagnose TAPI Manager" and "Aktualisieren Telefonnummern" are enabled only for
// System Administrator (by its role template id, the same in every language) and
// TapiInterface Admin (by the solution's fixed role id), never by role names.
/* global Xrm, __ADMIN_ROLE_IDS__ -- provided by Dynamics 365; the placeholder is filled at build */
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- a global the form or command bar calls by name
var CrmTapiRibbon = (function () {
  'use strict';
  var ADMIN_ROLE_IDS = __ADMIN_ROLE_IDS__;
  var SYSTEM_ADMINISTRATOR_TEMPLATE_ID = '__SYSADMIN_TEMPLATE_ID__';
  var PAGE = '__PREFIX___/crmtapi/diagnose.html';
  var clean = function (id) { return String(id || '').replace(/[{}]/g, '').toLowerCase(); };

  function isAdmin() {
    var roles = Xrm.Utility.getGlobalContext().userSettings.roles.get();
    var ids = roles.map(function (r) { return clean(r.id); });
    if (ids.some(function (id) { return ADMIN_ROLE_IDS.indexOf(id) >= 0; })) return Promise.resolve(true);
    if (ids.length === 0) return Promise.resolve(false);
    var filter = ids.map(function (id) { return 'roleid eq ' + id; }).join(' or ');
    return Xrm.WebApi.retrieveMultipleRecords('role', '?$select=_roletemplateid_value,_parentrootroleid_value&$filter=' + filter).then(function (res) {
      return res.entities.some(function (r) {
        return clean(r._roletemplateid_value) === SYSTEM_ADMINISTRATOR_TEMPLATE_ID || ADMIN_ROLE_IDS.indexOf(clean(r._parentrootroleid_value)) >= 0;
      });
    }, function () { return false; });
  }

  function open(action) {
    return Xrm.Navigation.navigateTo({ pageType: 'webresource', webresourceName: PAGE, data: action },
      { target: 2, position: 1, width: { value: 60, unit: '%' }, height: { value: 70, unit: '%' } });
  }

  return {
    isAdmin: isAdmin,
    diagnose: function () { return open('diagnose'); },
    refreshPhoneNumbers: function () { return open('refresh'); },
  };
})();
