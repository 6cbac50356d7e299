using Bbn.Hosting.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Bbn.Hosting.Composition;

/// <summary>Creates the component configuration selects for a slot, through its keyed factory.</summary>
public sealed class ComponentResolver(IServiceProvider services, IConfiguration configuration)
{
    public TComponent Resolve<TComponent>(ComponentSlot slot, string name) where TComponent : class
    {
        var factory = services.GetRequiredKeyedService<ComponentFactory<TComponent>>(name);
        return factory.Create(configuration.GetSection(slot.SectionPath), services);
    }

    internal object Resolve(ComponentSlot slot, string name)
    {
        var method = typeof(ComponentResolver).GetMethods().Single(m => m.Name == nameof(Resolve) && m.IsGenericMethod);
        try
        {
            return method.MakeGenericMethod(slot.Contract).Invoke(this, [slot, name])!;
        }
        catch (System.Reflection.TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }
}
